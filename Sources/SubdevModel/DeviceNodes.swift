import CSystemCalls
import Foundation
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// A process holding a subdevice open.
public struct Holder: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// What happened on a device node.
enum NodeEvent: Equatable {
    case held(vfio: UInt32, Holder)
    case released(vfio: UInt32, Holder)
    /// A netlink message the holder sent on its connection.
    case message(vfio: UInt32, Holder, connection: Int32, NetlinkMessage)
}

/// The device nodes: one listening Unix socket per subdevice at
/// `ROOT/dev/vfio/devices/vfioN`. A process that connects holds the
/// device, as one that opens the VFIO cdev does; closing the connection,
/// or dying, releases it at once, since the kernel closes a dead process's
/// sockets. Who may connect follows the node's owner, group and mode, which
/// the kernel enforces on `connect` as on `open`.
///
/// A removed node's listener is kept, with its file moved into a store
/// only root can reach, for the next node with the same N: making a node
/// is `socket`, `bind`, `listen`, `chmod` and an epoll registration, and
/// removing one is three calls more, which was a sixth of the model's
/// time for a `dev-new` and `dev-del` pair. A kept listener stays bound to
/// its `vfioN` path, which is why only the same N takes it, and stays
/// watched: whatever waited on it when it went, or reaches it in the store,
/// is accepted and closed at once, as a connection to a closed node fails.
///
/// The first time a node is kept its file is renamed into the store; when
/// it is taken back, the store keeps that name and the node gets a second
/// (`linkat`), so that the next removal only unlinks the public name. On
/// tmpfs a link and an unlink cost about 2.6 µs each where a rename costs
/// 4.4 µs (see Docs/performance.md). A node that was kept once shows a
/// link count of 2: its other name is in the store, out of everyone's
/// reach but root's.
///
/// Used from the model's one thread.
final class DeviceNodes {
    /// Who owns a node's file, and its mode.
    struct Access: Equatable {
        var uid: UInt32
        var gid: UInt32
        var mode: UInt16
    }

    private struct Node {
        var listener: Int32
        var access: Access
        var connections: [Int32: Holder] = [:]
        /// False while the subdevice is administratively down: a connection
        /// is accepted and closed at once, as an open of such a device fails.
        var openable = true
        /// Whether the store has a name for the node's file: once it has
        /// been kept, for as long as its listener lives.
        var stored = false
    }

    /// The store of kept nodes' files, below the root: beside `dev/vfio`,
    /// so that it is on the same file system and a walk of `dev/vfio` does
    /// not find it.
    static let storeName = "dev/.vfio-recycled"

    let root: ModelRoot
    private let poller: Poller
    private var nodes: [UInt32: Node] = [:]
    /// The listeners of removed nodes, by N, their files in `store` under
    /// their own names.
    private var kept: [UInt32: Node] = [:]
    /// Made 0700 when the first node is kept.
    private let store: StoreDirectory
    /// `ROOT/dev/vfio/devices`, opened when the first node is kept, for
    /// the links and unlinks of kept nodes' public names.
    private let devices: StoreDirectory
    /// At most this many listeners are kept, so that they hold few of the
    /// model's descriptors; all are let go when it runs out.
    let keepLimit: Int
    /// The `vfioN` each open descriptor (listener or connection) serves,
    /// by descriptor number; `unowned` elsewhere.
    private var owners: [UInt32] = []
    private static let unowned = UInt32.max
    /// Who owns a node as `bind` makes it: this process's effective user
    /// and group, unless the directory hands its own group down (set-gid),
    /// when it is not known and `chown` always runs. Worked out at the
    /// first node, once the directory exists.
    private lazy var ownerOfNewNodes: (uid: UInt32, gid: UInt32)? = {
        var directory = stat()
        guard stat(root.join("dev/vfio/devices"), &directory) == 0, directory.st_mode & S_ISGID == 0 else { return nil }
        return (geteuid(), getegid())
    }()

    init(root: ModelRoot, poller: Poller, keepLimit: Int = 256) {
        self.root = root
        self.poller = poller
        store = StoreDirectory(root.join(Self.storeName), mode: 0o700)
        devices = StoreDirectory(root.join("dev/vfio/devices"))
        self.keepLimit = keepLimit
    }

    deinit {
        removeAll()
    }

    /// Removes every node, keeping none, and lets the kept ones go.
    func removeAll() {
        for (vfio, node) in nodes { discard(node, of: vfio) }
        nodes = [:]
        releaseKept()
    }

    /// Creates the node for `vfio`, owned by `uid`:`gid` with `mode`.
    func create(_ vfio: UInt32, uid: UInt32, gid: UInt32, mode: UInt16) throws {
        let access = Access(uid: uid, gid: gid, mode: mode)
        if var node = reclaim(vfio) {
            if node.access != access {
                do {
                    try grant(access, to: root.devNode(vfio), owner: (node.access.uid, node.access.gid), mode: node.access.mode)
                } catch {
                    discard(node, of: vfio)
                    throw error
                }
            }
            node.access = access
            nodes[vfio] = node
            return
        }
        let path = root.devNode(vfio)
        // A node left behind at `path` is replaced.
        var listener = subdev_unix_listen(path, 16)
        if listener < 0 && errno == EMFILE && !kept.isEmpty {
            releaseKept()
            listener = subdev_unix_listen(path, 16)
        }
        guard listener >= 0 else {
            let code = errno
            throw NetlinkError.system("device node \(path)\(code == EMFILE ? " (the model is out of file descriptors: raise its RLIMIT_NOFILE)" : "")", errno: code)
        }
        do {
            try grant(access, to: path, owner: ownerOfNewNodes, mode: nil)
            try poller.add(listener)
        } catch {
            close(listener)
            unlink(path)
            throw error
        }
        own(listener, vfio)
        nodes[vfio] = Node(listener: listener, access: access)
    }

    /// Gives the file at `path` `access`, given the `owner` and `mode` it
    /// has, where known: a call saved for each that is already right,
    /// as when root makes nodes for root.
    private func grant(_ access: Access, to path: String, owner: (uid: UInt32, gid: UInt32)?, mode: UInt16?) throws {
        let owned = owner.map { $0.uid == access.uid && $0.gid == access.gid } ?? false
        guard owned || chown(path, access.uid, access.gid) == 0, mode == access.mode || chmod(path, mode_t(access.mode)) == 0 else {
            throw NetlinkError.system("device node \(path) ownership", errno: errno)
        }
    }

    func setOpenable(_ vfio: UInt32, _ openable: Bool) {
        nodes[vfio]?.openable = openable
    }

    /// Removes the node for `vfio`, dropping every holder's connection.
    func remove(_ vfio: UInt32) {
        guard var node = nodes.removeValue(forKey: vfio) else { return }
        for fd in node.connections.keys { drop(fd) }
        node.connections = [:]
        if !keep(node, of: vfio) { discard(node, of: vfio) }
    }

    /// The name of `vfio`'s kept node in the store.
    private static func keptName(_ vfio: UInt32) -> String { "vfio" + String(vfio) }

    /// Takes the public name of `vfio`'s node, which has no holders, away,
    /// its file staying in the store, and keeps its listener; false when
    /// it was not kept.
    private func keep(_ node: Node, of vfio: UInt32) -> Bool {
        guard kept.count < keepLimit else { return false }
        let name = Self.keptName(vfio)
        if node.stored {
            guard devices.open(), RelativeFileCalls.unlink(devices.fd, name) == 0 else { return false }
        } else {
            guard store.moveIn(root.devNode(vfio), as: name) else { return false }
        }
        // Connections made before the move were to the node that went.
        refuseWaiting(node.listener)
        var node = node
        node.openable = true
        node.stored = true
        kept[vfio] = node
        return true
    }

    /// Takes `vfio`'s kept node, if there is one, and gives its file back
    /// its public name, replacing what was left there.
    private func reclaim(_ vfio: UInt32) -> Node? {
        guard let node = kept.removeValue(forKey: vfio) else { return nil }
        let name = Self.keptName(vfio)
        guard devices.open(), store.link(name, into: devices.fd, as: name, replacing: true) else {
            release(node, keptAs: vfio)
            return nil
        }
        return node
    }

    /// Closes every kept listener and removes its file: at shutdown, and
    /// when the model runs out of descriptors.
    private func releaseKept() {
        for (vfio, node) in kept { release(node, keptAs: vfio) }
        kept = [:]
    }

    /// Closes the listener of `vfio`'s kept node and removes its file from the store.
    private func release(_ node: Node, keptAs vfio: UInt32) {
        drop(node.listener)
        _ = RelativeFileCalls.unlink(store.fd, Self.keptName(vfio))
    }

    /// Closes `vfio`'s node's listener and connections and removes its
    /// file, by both its names.
    private func discard(_ node: Node, of vfio: UInt32) {
        for fd in node.connections.keys { drop(fd) }
        drop(node.listener)
        unlink(root.devNode(vfio))
        if node.stored { _ = RelativeFileCalls.unlink(store.fd, Self.keptName(vfio)) }
    }

    /// Accepts and closes every connection waiting on `listener`.
    private func refuseWaiting(_ listener: Int32) {
        // `accept` makes a socket before it looks for a connection, and
        // mostly none waits; `poll` only looks.
        var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        while poll(&waiting, 1, 0) == 1 {
            let fd = subdev_accept(listener)
            if fd < 0 { return }
            close(fd)
        }
    }

    /// Sends one message to every holder of `vfio`, without waiting: a
    /// holder that does not read loses it, as with an eventfd it ignores.
    func send(_ message: [UInt8], to vfio: UInt32, only pids: Set<Int32>? = nil) {
        for (fd, holder) in nodes[vfio]?.connections ?? [:] where pids?.contains(holder.pid) ?? true {
            send(message, connection: fd)
        }
    }

    /// Sends one message on one holder's connection, without waiting.
    func send(_ message: [UInt8], connection fd: Int32) {
        _ = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
    }

    /// Closes the connections of holders `pids` of `vfio`: they are revoked.
    func disconnect(_ vfio: UInt32, pids: Set<Int32>) {
        guard let node = nodes[vfio] else { return }
        for (fd, holder) in node.connections where pids.contains(holder.pid) {
            drop(fd)
            nodes[vfio]?.connections[fd] = nil
        }
    }

    /// The holders of `vfio`, by pid.
    func holders(_ vfio: UInt32) -> [Holder] {
        guard let connections = nodes[vfio]?.connections, !connections.isEmpty else { return [] }
        return connections.values.sorted { $0.pid < $1.pid }
    }

    /// Whether `fd` is a listener or connection of a node.
    func owns(_ fd: Int32) -> Bool {
        Int(fd) < owners.count && owners[Int(fd)] != Self.unowned
    }

    /// Handles readiness on `fd`, one the node's listeners or connections.
    func handle(_ fd: Int32) -> [NodeEvent] {
        guard owns(fd) else { return [] }
        let vfio = owners[Int(fd)]
        guard let node = nodes[vfio] else {
            if kept[vfio]?.listener == fd { refuseWaiting(fd) }
            return []
        }
        if fd == node.listener { return accept(vfio) }
        guard let holder = node.connections[fd] else { return [] }
        // A holder sends AER answers; end of file means it let go.
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return [] }
        if count > 0 {
            let messages = (try? NetlinkMessage.parse(Array(buffer[0..<count]))) ?? []
            return messages.map { .message(vfio: vfio, holder, connection: fd, $0) }
        }
        drop(fd)
        nodes[vfio]?.connections[fd] = nil
        return [.released(vfio: vfio, holder)]
    }

    private func accept(_ vfio: UInt32) -> [NodeEvent] {
        guard let listener = nodes[vfio]?.listener else { return [] }
        var events: [NodeEvent] = []
        while true {
            let fd = subdev_accept(listener)
            if fd < 0 {
                // Out of descriptors: the kept listeners give theirs up.
                if errno == EMFILE && !kept.isEmpty {
                    releaseKept()
                    continue
                }
                break
            }
            guard nodes[vfio]?.openable ?? false else {
                close(fd)
                continue
            }
            var pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
            guard subdev_peer_credentials(fd, &pid, &uid, &gid) == 0, (try? poller.add(fd)) != nil else {
                close(fd)
                continue
            }
            own(fd, vfio)
            let holder = Holder(pid: pid, uid: uid, gid: gid)
            nodes[vfio]?.connections[fd] = holder
            events.append(.held(vfio: vfio, holder))
        }
        return events
    }

    private func own(_ fd: Int32, _ vfio: UInt32) {
        while owners.count <= Int(fd) { owners.append(Self.unowned) }
        owners[Int(fd)] = vfio
    }

    /// Stops watching `fd`, forgets it and closes it.
    private func drop(_ fd: Int32) {
        poller.remove(fd)
        if Int(fd) < owners.count { owners[Int(fd)] = Self.unowned }
        close(fd)
    }
}
