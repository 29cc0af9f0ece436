import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Requests and their replies over one netlink socket, matched by sequence
/// number: the request/response engine under a family's client.
///
/// Thread-safe: requests are serialised, one in flight at a time, as a
/// netlink socket without `NLM_F_ACK` pipelining needs. Calls block; the
/// async client runs them off the cooperative pool.
public final class NetlinkConnection: Sendable {
    /// The socket; used by one request at a time, under `state`.
    private let socket: NetlinkSocket
    /// Port id of the peer that answers: 0 for the kernel, the model's port otherwise.
    public let peerPort: UInt32
    private let sequence = Mutex<UInt32>(1)

    /// Opens a socket on `netlinkProtocol` that sends its requests to `peerPort`.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for each reply datagram before failing
    ///     with `ETIMEDOUT`; `nil` waits for ever.
    public init(protocol netlinkProtocol: NetlinkProtocol, peerPort: UInt32 = 0, timeout: Double? = 5) throws {
        socket = try NetlinkSocket(protocol: netlinkProtocol)
        self.peerPort = peerPort
        try socket.enableExtendedAcks()
        try socket.setReceiveTimeout(timeout)
    }

    /// The protocol of the underlying socket.
    public var netlinkProtocol: NetlinkProtocol { socket.netlinkProtocol }

    /// The local port id.
    public var localPort: UInt32 { socket.localPort }

    /// Sends a `do` request and returns its replies (none for an op without
    /// a reply), after the peer's ACK.
    ///
    /// - Throws: `NetlinkError` with the errno and extack of a failed request;
    ///   `ETIMEDOUT` when the peer does not answer in time.
    public func execute(_ request: NetlinkMessage) throws -> [NetlinkMessage] {
        var message = request
        message.header.flags.formUnion([.request, .ack])
        return try exchange(message, dump: false)
    }

    /// Sends a dump request and returns every message up to `NLMSG_DONE`.
    ///
    /// - Throws: `DumpInterruptedError` with the partial result when a part
    ///   carried `NLM_F_DUMP_INTR`; `NetlinkError` when the dump failed.
    public func dump(_ request: NetlinkMessage) throws -> [NetlinkMessage] {
        var message = request
        message.header.flags.formUnion([.request, .dump])
        return try exchange(message, dump: true)
    }

    private func exchange(_ request: NetlinkMessage, dump: Bool) throws -> [NetlinkMessage] {
        try sequence.withLock { next in
            var message = request
            message.header.sequence = next
            message.header.port = socket.localPort
            next = next &+ 1
            if next == 0 { next = 1 }
            try socket.send(message.encoded(), toPort: peerPort)
            return try collect(sequence: message.header.sequence, dump: dump)
        }
    }

    /// Reads datagrams until the reply to `sequence` is complete, dropping
    /// stale replies to earlier, abandoned requests.
    private func collect(sequence: UInt32, dump: Bool) throws -> [NetlinkMessage] {
        var replies: [NetlinkMessage] = []
        var interrupted = false
        while true {
            let datagram: Datagram
            do {
                datagram = try socket.receive()
            } catch let error as NetlinkError where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                throw NetlinkError(errno: ETIMEDOUT, message: "no answer from netlink port \(peerPort) on \(socket.netlinkProtocol)")
            }
            guard datagram.senderPort == peerPort, datagram.groups == 0 else { continue }
            for message in try NetlinkMessage.parse(datagram.bytes) where message.header.sequence == sequence {
                switch message.header.type {
                case MessageType.error:
                    if let error = try ExtendedAck.decode(message) { throw error }
                    return replies
                case MessageType.done:
                    if let error = try ExtendedAck.decode(message) { throw error }
                    if interrupted { throw DumpInterruptedError(partial: replies) }
                    return replies
                case MessageType.noop:
                    continue
                default:
                    if message.header.flags.contains(.dumpInterrupted) { interrupted = true }
                    replies.append(message)
                    // A do without NLM_F_ACK honoured would end here; the
                    // kernel and the model both send the ACK, so keep reading.
                }
            }
        }
    }
}
