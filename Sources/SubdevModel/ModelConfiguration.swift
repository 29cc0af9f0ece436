import Foundation
import Netlink

/// Where and how the model serves the subdev family.
public struct ModelConfiguration: Sendable {
    /// The default port id, 0x4B000000 (1258291200): a multiple of 2^22, so
    /// no socket the kernel autobinds (the process id, else negative from
    /// -4096) and no socket libnl binds (process id + k·2^22) can hold it
    /// while `pid_max` stays at or below 2^22, its ceiling.
    public static let defaultPort: UInt32 = 0x4B00_0000

    /// The family id the model answers to, 0x500: above `GENL_MAX_ID` (1023),
    /// so never the id of a kernel family.
    public static let defaultFamilyID: UInt16 = 0x500

    /// Environment variable that names the port, read by `subdevd` and `subdev`.
    public static let portEnvironmentVariable = "SUBDEV_NL_PORT"

    /// The port id both sockets (generic and usersock) bind to.
    public var port: UInt32
    /// The generic netlink family id.
    public var familyID: UInt16
    /// Multicast group ids by name (`config`, `events`), within 1...32;
    /// `nil` picks ids no kernel family uses.
    public var groupIDs: [String: UInt32]?

    public init(port: UInt32 = defaultPort, familyID: UInt16 = defaultFamilyID, groupIDs: [String: UInt32]? = nil) {
        self.port = port
        self.familyID = familyID
        self.groupIDs = groupIDs
    }

    /// Parses a port given on the command line or in the environment:
    /// decimal or `0x` hexadecimal, 1...UInt32.max.
    public static func parsePort(_ text: String) -> UInt32? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value = trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X")
            ? UInt32(trimmed.dropFirst(2), radix: 16) : UInt32(trimmed)
        guard let value, value != 0 else { return nil }
        return value
    }
}

/// Picks multicast group ids for the model's groups: the highest ids in
/// 1...32 that no kernel family has registered, so that kernel
/// notifications and the model's never share a group.
enum GroupAllocator {
    static func allocate(_ names: [String]) -> [String: UInt32] {
        var used = Set<UInt32>()
        if let kernel = try? NetlinkConnection(protocol: .generic, peerPort: 0, timeout: 2),
           let families = try? kernel.families() {
            for family in families { used.formUnion(family.multicastGroups.values) }
        }
        var free = (1...UInt32(32)).reversed().filter { !used.contains($0) }
        var ids: [String: UInt32] = [:]
        for name in names {
            ids[name] = free.isEmpty ? UInt32(32 - ids.count) : free.removeFirst()
        }
        return ids
    }
}
