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
    /// A holder sent a message on its device connection (an AER answer).
    case request(vfio: UInt32, Holder, connection: Int32, NetlinkMessage)
}

/// Registers subdevices as VFIO devices, as `vfio_register_*_dev` would:
/// the device node, the sysfs-style tree, and, for process-bound ones, the
/// watch on their owner. Registration is all or nothing.
///
/// Used from the model's one thread.
final class VFIORegistry {
    let root: ModelRoot
    /// `nil` when the model was told not to make device nodes.
    private let nodes: DeviceNodes?
    private let owners: OwnerWatch
    /// `nil` when the model was told not to mirror into `ROOT/sys`.
    private let sysfs: SysfsTree?

    /// Claims the root and prepares it: clears what an earlier model left
    /// there, then makes the parents' sysfs directories.
    ///
    /// A root is claimed with a marker file holding the model's pid. The
    /// model refuses a root another live model holds, and one that has
    /// `dev/vfio` or `sys` it did not make (such as `/` on a host), so it
    /// never deletes what is not its own.
    init(root: ModelRoot, parents: [Parent], poller: Poller, sysfs mirrored: Bool = true, deviceNodes: Bool = true) throws {
        try root.validate()
        self.root = root
        nodes = deviceNodes ? DeviceNodes(root: root, poller: poller) : nil
        owners = OwnerWatch(poller: poller)
        sysfs = mirrored ? SysfsTree(root: root) : nil
        try Self.claim(root)
        Self.clear(root)
        try FileManager.default.createDirectory(atPath: root.join("dev/vfio/devices"), withIntermediateDirectories: true)
        try sysfs?.addParents(parents)
    }

    static func markerPath(_ root: ModelRoot) -> String { root.join(".subdevd") }

    static func claim(_ root: ModelRoot) throws {
        let marker = markerPath(root)
        if let text = try? String(contentsOfFile: marker, encoding: .utf8) {
            if let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid != getpid(), kill(pid, 0) == 0 {
                throw ModelRootError("root \(root.path) is in use by subdevd process \(pid); give another --root")
            }
        } else {
            for tree in ["dev/vfio", "sys"] where FileManager.default.fileExists(atPath: root.join(tree)) {
                throw ModelRootError("root \(root.path) already has \(tree), which subdevd did not make; give another --root")
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
            try "\(getpid())\n".write(toFile: marker, atomically: true, encoding: .utf8)
        } catch {
            throw ModelRootError("root \(root.path) cannot be used: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the model's `dev/vfio` and `sys` trees, the contents the
    /// sysfs mirror links to, and the nodes, directories and class links
    /// kept to recycle.
    static func clear(_ root: ModelRoot) {
        for tree in ["dev/vfio", DeviceNodes.storeName, "sys", SysfsContents.name, SysfsRecycler.name, SysfsClassLinks.name] {
            try? FileManager.default.removeItem(atPath: root.join(tree))
        }
        rmdir(root.join("dev"))
    }

    /// Removes every node and the trees, and gives up the root, at shutdown.
    func shutdown() {
        nodes?.removeAll()
        Self.clear(root)
        unlink(Self.markerPath(root))
        rmdir(root.path)
    }

    /// Lets holders open `vfio`, or refuses them, as its admin state says.
    func setOpenable(_ vfio: UInt32, _ openable: Bool) { nodes?.setOpenable(vfio, openable) }

    func register(_ device: Subdevice, parent: Parent, registration: Registration) throws {
        do {
            try nodes?.create(device.vfioIndex, uid: device.node.uid, gid: device.node.gid, mode: device.node.mode)
            try sysfs?.add(device, parent: parent, registration: registration)
            if let pid = device.ownerPID { try owners.watch(pid, for: device.vfioIndex) }
        } catch {
            unregister(device, parent: parent)
            if let error = error as? NetlinkError { throw error }
            throw NetlinkError(errno: EIO, message: "cannot register \(device.handle) with VFIO: \(error)")
        }
    }

    func unregister(_ device: Subdevice, parent: Parent) {
        owners.stop(device.vfioIndex)
        nodes?.remove(device.vfioIndex)
        sysfs?.remove(device, parent: parent)
    }

    func holders(_ vfio: UInt32) -> [Holder] { nodes?.holders(vfio) ?? [] }

    /// A parent appeared (hotplug add): its sysfs directory.
    func addParent(_ parent: Parent) throws { try sysfs?.addParents([parent]) }

    /// A parent went (hotplug removal): its sysfs directory.
    func removeParent(_ parent: Parent) { sysfs?.removeParent(parent) }

    /// Closes the connections of holders `pids` of `vfio`, after they were told.
    func revoke(_ vfio: UInt32, pids: Set<Int32>) { nodes?.disconnect(vfio, pids: pids) }

    /// Answers a holder on its device connection.
    func reply(_ message: [UInt8], connection: Int32) { nodes?.send(message, connection: connection) }

    /// Sends an event to the holders of `vfio` (or those of them in `pids`) on their device connections.
    func send(_ message: [UInt8], to vfio: UInt32, only pids: Set<Int32>? = nil) { nodes?.send(message, to: vfio, only: pids) }

    func handle(_ fd: Int32) -> [RegistryEvent] {
        if let exit = owners.exited(fd) { return [.ownerExited(vfio: exit.vfio, pid: exit.pid)] }
        return (nodes?.handle(fd) ?? []).map { event in
            switch event {
            case .held(let vfio, let holder): return .held(vfio: vfio, holder)
            case .released(let vfio, let holder): return .released(vfio: vfio, holder)
            case .message(let vfio, let holder, let fd, let message): return .request(vfio: vfio, holder, connection: fd, message)
            }
        }
    }
}
