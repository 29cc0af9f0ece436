import Foundation
import Netlink
import SubdevUAPI

/// Where and how the model serves the subdev family.
public struct ModelConfiguration: Sendable {
    /// The default port id, 0x4B000000 (1258291200), the spec's `model-port`:
    /// above every process id (`pid_max` is at most 2^22), so the kernel's
    /// autobind, which tries the process id first, cannot take it; below
    /// 2^31, where its fallback ids (negative, from -4096 down) live; and a
    /// multiple of 2^22, which libnl's ports (process id + k·2^22) never are.
    public static let defaultPort = UInt32(SubdevConstant.modelPort)

    /// The family id the model answers to, 0x500: above `GENL_MAX_ID` (1023),
    /// so never the id of a kernel family.
    public static let defaultFamilyID: UInt16 = 0x500

    /// Family ids the kernel reserves: nlctrl (16), VFS_DQUOT, PMCRAID.
    public static let reservedFamilyIDs: ClosedRange<UInt16> = 0...0x12

    /// Environment variable that names the port, read by `subdevd` and `subdev`.
    public static let portEnvironmentVariable = "SUBDEV_NL_PORT"

    /// The port id both sockets (generic and usersock) bind to.
    public var port: UInt32
    /// The generic netlink family id.
    public var familyID: UInt16
    /// Multicast group ids by name (`config`, `events`), within 1...32;
    /// `nil` picks ids no kernel family uses.
    public var groupIDs: [String: UInt32]?
    /// Where device nodes and the sysfs-style tree live.
    public var root: ModelRoot
    /// Seconds between remove requests to holders that have not let go.
    public var removeInterval: TimeInterval = 1
    /// Milliseconds holders have to answer an AER error-detected event,
    /// when the injection does not say.
    public var aerTimeoutMilliseconds: UInt32 = 3000
    /// Milliseconds within which a hotplug request can be cancelled, when
    /// the request does not say: 5 s, as pciehp's attention button.
    public var hotplugWindowMilliseconds: UInt32 = 5000
    /// Whether subdevices are mirrored into `ROOT/sys` for tools that walk
    /// sysfs. About a dozen inodes each: a million subdevices would take
    /// most of a filesystem's inodes, so a model that large turns it off.
    public var sysfsMirror = true
    /// Whether subdevices get device nodes. Each node is a listening
    /// socket, one file descriptor, so the model holds at most
    /// RLIMIT_NOFILE of them; without nodes it measures the control plane
    /// alone, for scale runs beyond that limit. Nothing can hold such a
    /// subdevice.
    public var deviceNodes = true

    public init(port: UInt32 = defaultPort, familyID: UInt16 = defaultFamilyID, groupIDs: [String: UInt32]? = nil,
                root: ModelRoot? = nil) {
        self.port = port
        self.familyID = familyID
        self.groupIDs = groupIDs
        self.root = root ?? ModelRoot(path: ModelRoot.defaultPath(port: port))
    }

    /// Parses a port the model may bind: `PortID.parse`, but not 0, which
    /// is the kernel's.
    public static func parsePort(_ text: String) -> UInt32? {
        PortID.parse(text).flatMap { $0 == 0 ? nil : $0 }
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
            if free.isEmpty {
                // Every id is a kernel family's: share one, and say so.
                let shared = UInt32(32 - ids.count)
                FileHandle.standardError.write(Data("subdevd: warning: no free multicast group id; \(name) shares \(shared) with a kernel family\n".utf8))
                ids[name] = shared
            } else {
                ids[name] = free.removeFirst()
            }
        }
        return ids
    }
}
