extension DeviceInfo {
    /// The fields of a subdevice that most subdevices of a dump have alike
    /// (node access, AER counts, migration data) or have none of (details,
    /// owner, holders, a reason), in one object that they share.
    ///
    /// Inline, these were 112 of `DeviceInfo`'s 296 bytes. A dump of a
    /// million is an array of a million, and the bytes of each are memory
    /// the kernel has to find and clear a page for, and, while the array
    /// grows, to copy; a subdevice now holds a reference and, when it is
    /// alike with the one before it, shares that one's object.
    final class Alike: @unchecked Sendable, Hashable {
        // Unchecked: changed only through `DeviceInfo`'s setters, and only
        // when uniquely referenced, as `Array`'s storage is; for the same
        // reason no access can overlap another.
        @exclusivity(unchecked) var details: [FactInfo]
        @exclusivity(unchecked) var node: NodeAccessInfo?
        @exclusivity(unchecked) var ownerPID: UInt32?
        @exclusivity(unchecked) var holders: [HolderInfo]
        @exclusivity(unchecked) var reason: String?
        @exclusivity(unchecked) var aerStats: AERStatsInfo?
        @exclusivity(unchecked) var migrationCompat: String?

        init(details: [FactInfo], node: NodeAccessInfo?, ownerPID: UInt32?, holders: [HolderInfo],
             reason: String?, aerStats: AERStatsInfo?, migrationCompat: String?) {
            self.details = details
            self.node = node
            self.ownerPID = ownerPID
            self.holders = holders
            self.reason = reason
            self.aerStats = aerStats
            self.migrationCompat = migrationCompat
        }

        func copy() -> Alike {
            Alike(details: details, node: node, ownerPID: ownerPID, holders: holders,
                  reason: reason, aerStats: aerStats, migrationCompat: migrationCompat)
        }

        /// Whether this object holds these values, so that a subdevice
        /// that has them may share it.
        func holds(details: [FactInfo], node: NodeAccessInfo?, ownerPID: UInt32?, holders: [HolderInfo],
                   reason: String?, aerStats: AERStatsInfo?, migrationCompat: String?) -> Bool {
            // Empty lists, the usual case, are told apart without a call.
            self.node == node && self.ownerPID == ownerPID && self.aerStats == aerStats
                && (details.isEmpty ? self.details.isEmpty : self.details == details)
                && (holders.isEmpty ? self.holders.isEmpty : self.holders == holders)
                && self.reason == reason && self.migrationCompat == migrationCompat
        }

        static func == (left: Alike, right: Alike) -> Bool {
            left === right
                || right.holds(details: left.details, node: left.node, ownerPID: left.ownerPID, holders: left.holders,
                               reason: left.reason, aerStats: left.aerStats, migrationCompat: left.migrationCompat)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(details)
            hasher.combine(node)
            hasher.combine(ownerPID)
            hasher.combine(holders)
            hasher.combine(reason)
            hasher.combine(aerStats)
            hasher.combine(migrationCompat)
        }
    }
}
