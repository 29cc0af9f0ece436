import CLibNL
import CSystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// The netlink protocols this project speaks (`NETLINK_*`).
public enum NetlinkProtocol: Int32, Sendable, CustomStringConvertible {
    /// `NETLINK_GENERIC`: families resolved through nlctrl. Any process may
    /// join its multicast groups; sending to a user-space port needs `CAP_NET_ADMIN`.
    case generic = 16
    /// `NETLINK_USERSOCK`: reserved for user-space protocols. Any process may
    /// send to a port; joining groups needs privilege.
    case userSock = 2
    /// `NETLINK_SOCK_DIAG`: the kernel's socket diagnostics, which list
    /// sockets of the network namespace (`ss` asks it), netlink sockets
    /// with the groups they joined.
    case sockDiag = 4

    public var description: String {
        switch self {
        case .generic: return "generic"
        case .userSock: return "usersock"
        case .sockDiag: return "sock_diag"
        }
    }
}

/// The sender of a datagram, as the kernel vouched for it with
/// `SCM_CREDENTIALS` (`struct ucred`).
public struct Credentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// One datagram received from a netlink socket.
public struct Datagram: Sendable {
    /// The bytes: one or more netlink messages.
    public var bytes: [UInt8]
    /// Port id of the sender (0 for the kernel).
    public var senderPort: UInt32
    /// Multicast group bitmask it was sent to; 0 for unicast.
    public var groups: UInt32
    /// The sender's credentials, when `SO_PASSCRED` is on.
    public var credentials: Credentials?
    /// The datagram's whole length as sent: more than `bytes.count` when
    /// it was larger than the socket's receive room, and the kernel
    /// dropped the rest (see `NetlinkSocket.receiveRoom`).
    public var length: Int

    /// Whether the datagram was larger than the room it was read into,
    /// and `bytes` holds only its start.
    public var isCut: Bool { length > bytes.count }
}

/// A netlink socket, owned through libnl (`struct nl_sock`).
///
/// Not safe for concurrent use: one thread at a time sends or receives.
/// The socket is closed when the object goes away.
public final class NetlinkSocket: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Where datagrams are read into: `receiveRoom` bytes, allocated once
    /// and not cleared, so a page takes memory only once a datagram
    /// reached it. Only `readDatagram(flags:)` touches it, from one thread at a
    /// time (see the type's concurrency note), so the run-time
    /// exclusivity check, two per datagram and about 120 instructions
    /// each, is left out.
    @exclusivity(unchecked) private var receiveBuffer: UnsafeMutableRawBufferPointer
    /// The protocol it was opened with.
    public let netlinkProtocol: NetlinkProtocol

    /// The room a socket reads each datagram into unless told otherwise:
    /// 128 KiB, as the kernel's own YNL library reads. A kernel family
    /// fills a dump's datagram to at most 32 KiB (`netlink_dump` sizes it
    /// to the reader's largest `recvmsg`, capped there) and a reply to
    /// what it computed; the model's are no larger.
    public static let defaultReceiveRoom = 128 * 1024

    /// The largest datagram a process can send without `CAP_NET_ADMIN`:
    /// `netlink_sendmsg` refuses one longer than the send buffer less 32
    /// bytes, and `SO_SNDBUF` sets at most twice `net.core.wmem_max`
    /// (only `SO_SNDBUFFORCE` goes past it). A server that reads this
    /// much per datagram gets any such request whole; at least
    /// `defaultReceiveRoom`, and that when the limit cannot be read.
    public static func largestUnforcedDatagram(wmemMaxFile: String = "/proc/sys/net/core/wmem_max") -> Int {
        let descriptor = open(wmemMaxFile, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return defaultReceiveRoom }
        defer { close(descriptor) }
        var text = [UInt8](repeating: 0, count: 32)
        let count = read(descriptor, &text, text.count)
        // The number, then a newline.
        let digits = count > 0 ? text[..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } : []
        guard let limit = Int(String(decoding: digits, as: UTF8.self)),
              limit > 0, limit <= Int(Int32.max) / 2 else { return defaultReceiveRoom }
        return max(defaultReceiveRoom, 2 * limit - 32)
    }

    /// How many bytes of a datagram one read takes. A longer datagram is
    /// cut there by the kernel and the rest is lost: it arrives with
    /// `Datagram.isCut`, and the room grows to its length for the next.
    public var receiveRoom: Int { receiveBuffer.count }

    /// Opens a socket and binds it.
    ///
    /// - Parameters:
    ///   - netlinkProtocol: the protocol.
    ///   - localPort: the port id to bind to; `nil` lets libnl choose one
    ///     (the process id plus a multiple of 2^22).
    ///   - receiveRoom: the bytes of a datagram one read takes (see
    ///     `receiveRoom`); `defaultReceiveRoom` unless given. Pages of it
    ///     no datagram reached take no memory.
    /// - Throws: `NetlinkError` with the errno of the failed call, for example
    ///   `EADDRINUSE` when `localPort` is taken.
    public init(protocol netlinkProtocol: NetlinkProtocol, localPort: UInt32? = nil,
                receiveRoom: Int = NetlinkSocket.defaultReceiveRoom) throws {
        guard let handle = nl_socket_alloc() else {
            throw NetlinkError(errno: ENOMEM, message: "nl_socket_alloc failed")
        }
        self.handle = handle
        self.netlinkProtocol = netlinkProtocol
        receiveBuffer = .allocate(byteCount: max(receiveRoom, MessageHeader.size), alignment: 8)
        if let localPort {
            nl_socket_set_local_port(handle, localPort)
        }
        let rc = nl_connect(handle, netlinkProtocol.rawValue)
        if rc < 0 {
            // Every stored property is set, so deinit frees the handle.
            let code = errno
            if localPort != nil, rc == -NLE_EXIST || code == EADDRINUSE {
                throw NetlinkError(errno: EADDRINUSE, message: "netlink port \(localPort ?? 0) is already in use on \(netlinkProtocol)")
            }
            throw NetlinkError(errno: code != 0 ? code : EINVAL,
                               message: "nl_connect(\(netlinkProtocol)): \(String(cString: nl_geterror(rc)))")
        }
    }

    deinit {
        nl_socket_free(handle)
        receiveBuffer.deallocate()
    }

    /// The port id the socket is bound to.
    public var localPort: UInt32 { nl_socket_get_local_port(handle) }

    /// The file descriptor, for `poll`.
    public var fileDescriptor: Int32 { nl_socket_get_fd(handle) }

    /// Sends one datagram to the socket bound to `port` (0: the kernel).
    public func send(_ bytes: [UInt8], toPort port: UInt32) throws {
        try bytes.withUnsafeBytes { try send(raw: $0, toPort: port) }
    }

    /// Sends the bytes `buffer` holds as one datagram to `port`, from
    /// where they lie.
    public func send(_ buffer: WireBuffer, toPort port: UInt32) throws {
        try buffer.withWrittenBytes { try send(raw: $0, toPort: port) }
    }

    /// Sends the first `count` bytes `buffer` holds as one datagram to
    /// `port`, from where they lie.
    public func send(_ buffer: WireBuffer, prefix count: Int, toPort port: UInt32) throws {
        precondition(count >= 0 && count <= buffer.count, "sending \(count) bytes of a wire buffer of \(buffer.count)")
        try buffer.withWrittenBytes { try send(raw: UnsafeRawBufferPointer(rebasing: $0[..<count]), toPort: port) }
    }

    private func send(raw bytes: UnsafeRawBufferPointer, toPort port: UInt32) throws {
        nl_socket_set_peer_groups(handle, 0)
        nl_socket_set_peer_port(handle, port)
        try sendToPeer(bytes)
    }

    /// Sends several datagrams to `port` in one system call (`sendmmsg`),
    /// as `send(_:)` does.
    @discardableResult
    public func send(_ datagrams: [[UInt8]], toPort port: UInt32) throws -> Int {
        try send(datagrams.map { OutgoingDatagram($0, toPort: port) }[...])
    }

    /// Sends several datagrams, each to its own destination, in one system
    /// call (`sendmmsg`), each a datagram of its own. The kernel may still
    /// run a woken receiver between two of them: `sendmmsg` calls
    /// `cond_resched()` after each, even with `preempt=none`.
    ///
    /// - Returns: how many were sent; fewer than all when one failed after
    ///   the first (the rest are not tried).
    /// - Throws: `NetlinkError` when the first could not be sent.
    @discardableResult
    public func send(_ datagrams: ArraySlice<OutgoingDatagram>) throws -> Int {
        guard datagrams.count > 1 else {
            guard let only = datagrams.first else { return 0 }
            nl_socket_set_peer_port(handle, only.port)
            nl_socket_set_peer_groups(handle, only.groups)
            try sendToPeer(only.bytes)
            return 1
        }
        // Copied end to end, a memcpy each.
        return try send(OutgoingBatch(datagrams), from: 0)
    }

    /// Sends the datagrams of `batch` from the one at `first` on, each to
    /// its own destination, in one system call (`sendmmsg`) from where
    /// they lie, as `send(_:)` does.
    ///
    /// - Returns: how many were sent; fewer than all when one failed after
    ///   the first (the rest are not tried).
    /// - Throws: `NetlinkError` when the first could not be sent.
    @discardableResult
    public func send(_ batch: OutgoingBatch, from first: Int) throws -> Int {
        precondition(first >= 0 && first <= batch.count, "sending from datagram \(first) of \(batch.count)")
        guard first < batch.count else { return 0 }
        let start = batch.offset(of: first)
        let sent = batch.buffer.withWrittenBytes { bytes in
            batch.lengths.withUnsafeBufferPointer { lengths in
                batch.ports.withUnsafeBufferPointer { ports in
                    batch.groups.withUnsafeBufferPointer { groups in
                        subdev_netlink_send_datagrams(fileDescriptor, ports.baseAddress.map { $0 + first },
                                                      groups.baseAddress.map { $0 + first },
                                                      bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + start },
                                                      lengths.baseAddress.map { $0 + first }, UInt32(lengths.count - first))
                    }
                }
            }
        }
        if sent < 0 { throw NetlinkError.system("sendmmsg", errno: errno) }
        return Int(sent)
    }

    /// Broadcasts one datagram to multicast group `group` (1...32).
    public func send(_ bytes: [UInt8], toGroup group: UInt32) throws {
        try send([try OutgoingDatagram(bytes, toGroup: group)][...])
    }

    /// Sends one datagram to `port` without waiting for room: `false`,
    /// and nothing sent, when the receiver's buffer is full.
    ///
    /// - Throws: `NetlinkError` for any other failure (`ECONNREFUSED`:
    ///   nothing is bound to the port).
    public func sendIfRoom(_ bytes: [UInt8], toPort port: UInt32) throws -> Bool {
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_pid = port
        let rc = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0,
                           socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        if rc >= 0 { return true }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK { return false }
        throw NetlinkError.system("sendto", errno: code)
    }

    private func sendToPeer(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sendToPeer($0) }
    }

    private func sendToPeer(_ bytes: UnsafeRawBufferPointer) throws {
        errno = 0
        // nl_sendto only reads the buffer, though its parameter is not const.
        let rc = nl_sendto(handle, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        if rc < 0 {
            throw NetlinkError.system("sendto", errno: errno != 0 ? errno : EIO)
        }
    }

    /// Receives one datagram, blocking until one arrives or the receive
    /// timeout (if set) runs out. One longer than `receiveRoom` arrives
    /// cut (`Datagram.isCut`); the caller decides what its loss means.
    ///
    /// - Throws: `NetlinkError` with `EAGAIN` on timeout, `ENOBUFS` when the
    ///   socket's buffer overran and datagrams were lost.
    public func receive() throws -> Datagram {
        try readDatagram(flags: 0)
    }

    /// Receives one datagram if one is queued, without waiting: `nil` when
    /// none is. Cut as `receive()` cuts.
    ///
    /// - Throws: `NetlinkError` `ENOBUFS` when the socket's buffer overran
    ///   and datagrams were lost.
    public func receiveIfQueued() throws -> Datagram? {
        do {
            return try readDatagram(flags: Int32(MSG_DONTWAIT))
        } catch let error as NetlinkError where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
    }

    /// Reads the next datagram with one `recvmsg`, as the kernel's YNL
    /// library does. A peek for the length first, as libnl and iproute2
    /// make, reads a datagram of any length whole, but costs a second call
    /// for every datagram: about a tenth of a single request's round trip
    /// to the model. Here one longer than `receiveRoom` comes back cut.
    /// Not an optional: a caller's destroy of a `Datagram?` went through
    /// the generic run-time witness, about 200 instructions a datagram.
    private func readDatagram(flags: Int32) throws -> Datagram {
        var address = sockaddr_nl()
        var credentials = subdev_ucred()
        var hasCredentials: Int32 = 0
        while true {
            // With MSG_TRUNC, recvmsg returns the whole length of a datagram it cut.
            let length = subdev_netlink_recvmsg(fileDescriptor, receiveBuffer.baseAddress, receiveBuffer.count,
                                                flags | Int32(MSG_TRUNC), &address, &credentials, &hasCredentials)
            if length < 0 {
                let code = errno
                if code == EINTR { continue }
                throw NetlinkError.system("recvmsg", errno: code)
            }
            let sender = hasCredentials != 0 ? Credentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid) : nil
            let kept = UnsafeRawBufferPointer(rebasing: receiveBuffer[..<min(length, receiveBuffer.count)])
            let datagram = Datagram(bytes: Array(kept), senderPort: address.nl_pid, groups: address.nl_groups,
                                    credentials: sender, length: length)
            if datagram.isCut {
                // Lost all the same, but the next as long is read whole.
                receiveBuffer.deallocate()
                receiveBuffer = .allocate(byteCount: length, alignment: 8)
            }
            return datagram
        }
    }

    /// Drops every datagram waiting in the receive buffer, without
    /// blocking: after `ENOBUFS`, what is queued predates the loss, and a
    /// dump supersedes it.
    ///
    /// - Returns: how many datagrams were dropped.
    @discardableResult
    public func discardQueued() -> Int {
        var dropped = 0
        var byte: UInt8 = 0
        while true {
            let count = recv(fileDescriptor, &byte, 1, Int32(MSG_DONTWAIT | MSG_TRUNC))
            if count >= 0 {
                dropped += 1
            } else if errno != EINTR && errno != ENOBUFS {
                return dropped
            }
        }
    }

    /// Joins multicast group `group`.
    public func join(group: UInt32) throws {
        let rc = nl_socket_add_membership(handle, Int32(group))
        if rc < 0 { throw NetlinkError.system("join group \(group)", errno: errno != 0 ? errno : EPERM) }
    }

    /// Turns on `SO_PASSCRED`, so received datagrams carry their sender's credentials.
    public func enableCredentials() throws {
        let rc = nl_socket_set_passcred(handle, 1)
        if rc < 0 { throw NetlinkError.system("SO_PASSCRED", errno: errno) }
    }

    /// Sets `SO_RCVTIMEO`; `nil` blocks for ever.
    public func setReceiveTimeout(_ seconds: Double?) throws {
        var value = timeval()
        if let seconds {
            value.tv_sec = Int(seconds)
            value.tv_usec = Int((seconds - Double(Int(seconds))) * 1_000_000)
        }
        try setOption(level: SOL_SOCKET, name: SO_RCVTIMEO, value: value)
    }

    /// Sets `SO_SNDTIMEO`, so a send to a full receiver gives up instead of blocking for ever.
    public func setSendTimeout(_ seconds: Double) throws {
        var value = timeval()
        value.tv_sec = Int(seconds)
        value.tv_usec = Int((seconds - Double(Int(seconds))) * 1_000_000)
        try setOption(level: SOL_SOCKET, name: SO_SNDTIMEO, value: value)
    }

    /// Sets the receive and send buffer sizes in bytes.
    public func setBufferSizes(receive: Int32, send: Int32) throws {
        let rc = nl_socket_set_buffer_size(handle, receive, send)
        if rc < 0 { throw NetlinkError.system("SO_RCVBUF", errno: errno) }
    }

    /// Asks the kernel for extended ACKs and capped error echoes
    /// (`NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`); a no-op towards the model,
    /// which always sends both.
    public func enableExtendedAcks() throws {
        let on: Int32 = 1
        try setOption(level: SOL_NETLINK, name: NETLINK_EXT_ACK, value: on)
        try setOption(level: SOL_NETLINK, name: NETLINK_CAP_ACK, value: on)
    }

    private func setOption<T: BitwiseCopyable>(level: Int32, name: Int32, value: T) throws {
        var copy = value
        let rc = setsockopt(fileDescriptor, level, name, &copy, socklen_t(MemoryLayout<T>.size))
        if rc < 0 { throw NetlinkError.system("setsockopt(\(name))", errno: errno) }
    }
}
