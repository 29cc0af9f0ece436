extension DeviceInfo {
    /// The fields of a subdevice that most subdevices of a dump have alike
    /// (node access, AER counts, migration data) or have none of (owner,
    /// a reason, details, holders).
    ///
    /// Inline, these were 112 of `DeviceInfo`'s 296 bytes. A dump of a
    /// million is an array of a million, and the bytes of each are memory
    /// the kernel has to find and clear a page for, and, while the array
    /// grows, to copy; a subdevice now holds a reference to an `Alike` and,
    /// when it is alike with the one before it, shares that one's.
    struct AlikeFields: Sendable, Hashable {
        var node: NodeAccessInfo?
        var ownerPID: UInt32?
        var aerStats: AERStatsInfo?
        var migrationCompat: String?
        var reason: String?
        var details: [FactInfo]
        var holders: [HolderInfo]
    }

    /// `AlikeFields` in one object that alike subdevices share, as
    /// `TypeSpec` keeps its fields. Never changed once made, so it can be
    /// shared across threads; setting a field gives the subdevice an
    /// object of its own.
    final class Alike: Sendable, Hashable {
        let fields: AlikeFields

        init(_ fields: AlikeFields) {
            self.fields = fields
        }

        /// Whether this object holds `other`, compared field by field where
        /// each lies: the synthesised `==` had both structs copied out for
        /// the call, 300 instructions of a dumped subdevice's 5.6 k.
        func holds(_ other: borrowing AlikeFields) -> Bool {
            // Empty lists, the usual case, are told apart without a call.
            fields.node == other.node && fields.ownerPID == other.ownerPID && fields.aerStats == other.aerStats
                && fields.migrationCompat == other.migrationCompat && fields.reason == other.reason
                && (other.details.isEmpty ? fields.details.isEmpty : fields.details == other.details)
                && (other.holders.isEmpty ? fields.holders.isEmpty : fields.holders == other.holders)
        }

        static func == (left: Alike, right: Alike) -> Bool {
            left === right || left.fields == right.fields
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(fields)
        }
    }
}
