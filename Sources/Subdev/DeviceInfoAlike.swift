extension DeviceInfo {
    /// The fields of a subdevice that the subdevices of a dump have alike
    /// in runs: parent, type, parameters and the shared part of the VFIO
    /// registration, alike within a parent's run; node access, AER counts
    /// and migration data, alike in most; an owner, a reason, details and
    /// holders, which most have none of.
    ///
    /// Inline, they made a `DeviceInfo` 296 bytes and seven references
    /// to count; shared, it is 64 bytes and one. A dump of a million is
    /// an array of a million, and the bytes of each are memory the kernel
    /// has to find and clear a page for, and, while the array grows, to
    /// copy; a subdevice holds a reference to an `Alike` and, when it is
    /// alike with the one before it, shares that one's.
    struct AlikeFields: Sendable, Hashable {
        var parent: ParentHandle
        var type: String
        var params: [ParamSetting]
        var vfio: VFIOInfo.Shared?
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

        static func == (left: Alike, right: Alike) -> Bool {
            left === right || left.fields == right.fields
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(fields)
        }
    }
}
