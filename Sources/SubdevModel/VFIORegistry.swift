import Foundation
import Netlink
import SubdevPlugin
#if canImport(Glibc)
import Glibc
#endif

/// What happened to a registered subdevice outside any request.
enum RegistryEvent: Equatable {
    case held(vfio: UInt32, Holder)
    case released(vfio: UInt32, Holder)
    case ownerExited(vfio: UInt32, pid: Int32)
}

/// Registers subdevices as VFIO devices, as `vfio_register_*_dev` would:
/// the device node, the sysfs-style tree, and, for process-bound ones, the
/// watch on their owner. Registration is all or nothing.
///
/// Used from the model's one thread.
final class VFIORegistry {
    let root: ModelRoot
    private let nodes: DeviceNodes
    private let owners = OwnerWatch()
    private let sysfs: SysfsTree

    /// Prepares the root: clears what an earlier model left there, then
    /// makes the parents' sysfs directories.
    init(root: ModelRoot, parents: [Parent]) throws {
        try root.validate()
        self.root = root
        nodes = DeviceNodes(root: root)
        sysfs = SysfsTree(root: root)
        Self.clear(root)
        try FileManager.default.createDirectory(atPath: root.join("dev/vfio/devices"), withIntermediateDirectories: true)
        try sysfs.addParents(parents)
    }

    /// Removes the model's `dev` and `sys` trees.
    static func clear(_ root: ModelRoot) {
        for tree in ["dev/vfio", "sys"] { try? FileManager.default.removeItem(atPath: root.join(tree)) }
        rmdir(root.join("dev"))
    }

    /// Removes every node and the trees, at shutdown.
    func shutdown() {
        nodes.removeAll()
        Self.clear(root)
        rmdir(root.path)
    }

    func register(_ device: Subdevice, parent: Parent, registration: Registration) throws {
        do {
            try nodes.create(device.vfioIndex, uid: device.node.uid, gid: device.node.gid, mode: device.node.mode)
            try sysfs.add(device, parent: parent, registration: registration)
            if let pid = device.ownerPID { try owners.watch(pid, for: device.vfioIndex) }
        } catch {
            unregister(device, parent: parent)
            if let error = error as? NetlinkError { throw error }
            throw NetlinkError(errno: EIO, message: "cannot register \(device.handle) with VFIO: \(error)")
        }
    }

    func unregister(_ device: Subdevice, parent: Parent) {
        owners.stop(device.vfioIndex)
        nodes.remove(device.vfioIndex)
        sysfs.remove(device, parent: parent)
    }

    func holders(_ vfio: UInt32) -> [Holder] { nodes.holders(vfio) }

    var descriptors: [Int32] { nodes.descriptors + owners.descriptors }

    func handle(_ fd: Int32) -> [RegistryEvent] {
        if let exit = owners.exited(fd) { return [.ownerExited(vfio: exit.vfio, pid: exit.pid)] }
        return nodes.handle(fd).map { event in
            switch event {
            case .held(let vfio, let holder): return .held(vfio: vfio, holder)
            case .released(let vfio, let holder): return .released(vfio: vfio, holder)
            }
        }
    }
}
