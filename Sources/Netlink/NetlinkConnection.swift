import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Requests and their replies over one netlink socket, matched by sequence
/// number: the request/response engine under a family's client.
///
/// Thread-safe: requests are serialised, one request or one pipelined
/// batch at a time. Calls block on the calling thread.
public final class NetlinkConnection: Sendable {
    /// The socket; used by one request or batch at a time, under `sequence`.
    private let socket: NetlinkSocket
    /// Port id of the peer that answers: 0 for the kernel, the model's port otherwise.
    public let peerPort: UInt32
    private let sequence = Mutex<UInt32>(1)
    /// The most bytes of pipelined requests sent in one datagram: well
    /// inside any socket's send buffer.
    private static let batchLimit = 32 * 1024

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
        // Room for a burst of dump parts (32 KiB each) or pipelined replies,
        // so the peer seldom waits for this side to read. The kernel caps it
        // at net.core.rmem_max; a smaller buffer still works, only slower.
        try? socket.setBufferSizes(receive: 4 << 20, send: 0)
    }

    /// The protocol of the underlying socket.
    public var netlinkProtocol: NetlinkProtocol { socket.netlinkProtocol }

    /// The local port id.
    public var localPort: UInt32 { socket.localPort }

    /// What ends the answer to a `do` request.
    public enum AnswerEnd: Sendable {
        /// The peer's ACK, asked for with `NLM_F_ACK`: for an op that
        /// replies with nothing, or with several messages.
        case ack
        /// The one reply message of an op that always sends one when it
        /// succeeds (the spec's `do: reply:`). `NLM_F_ACK` is left clear, as
        /// the kernel's `netlink_rcv_skb` reports a failure unasked. The
        /// answer is one datagram instead of two: a peer in another
        /// process wakes the requester once, not twice.
        case reply
    }

    /// Sends a `do` request and returns its replies (none for an op without
    /// a reply): those before the peer's ACK, or the one reply.
    ///
    /// - Parameter end: `.ack` (the default) or, for an op that always
    ///   replies, `.reply`.
    /// - Throws: `NetlinkError` with the errno and extack of a failed request;
    ///   `ETIMEDOUT` when the peer does not answer in time.
    public func execute(_ request: NetlinkMessage, endingWith end: AnswerEnd = .ack) throws -> [NetlinkMessage] {
        var message = request
        message.header.flags.formUnion(Self.flags(for: end))
        var replies: [NetlinkMessage] = []
        try exchange(message, endsAtReply: end == .reply) { replies.append($0) }
        return replies
    }

    /// The flags of a `do` request whose answer ends with `end`.
    private static func flags(for end: AnswerEnd) -> MessageFlags {
        end == .ack ? [.request, .ack] : [.request]
    }

    /// Sends a dump request and returns every message up to `NLMSG_DONE`.
    ///
    /// - Throws: `DumpInterruptedError` with the partial result when a part
    ///   carried `NLM_F_DUMP_INTR`; `NetlinkError` when the dump failed.
    public func dump(_ request: NetlinkMessage) throws -> [NetlinkMessage] {
        var replies: [NetlinkMessage] = []
        do {
            try dump(request) { replies.append($0) }
        } catch is DumpInterruptedError {
            throw DumpInterruptedError(partial: replies)
        }
        return replies
    }

    /// Sends a dump request and hands each message to `body` as it
    /// arrives, up to `NLMSG_DONE`, so that decoding keeps pace with the
    /// peer instead of waiting for the whole dump. `body` runs on the
    /// calling thread, with the connection's other requests held off.
    ///
    /// - Throws: what `body` throws (the rest of the dump is then read and
    ///   dropped); `DumpInterruptedError`, without the messages `body` had
    ///   already, when a part carried `NLM_F_DUMP_INTR`; `NetlinkError` when
    ///   the dump failed.
    public func dump(_ request: NetlinkMessage, each body: (NetlinkMessage) throws -> Void) throws {
        var message = request
        message.header.flags.formUnion([.request, .dump])
        try exchange(message, endsAtReply: false, deliver: body)
    }

    /// Sends many `do` requests with up to `window` in flight at once and
    /// returns each one's outcome, in request order: its replies (before
    /// the peer's ACK, or the one reply, as `end` says), or the error it
    /// failed with. Replies are matched by sequence number, so the peer
    /// may answer in any order.
    ///
    /// Requests go out packed, several to a datagram (at most 32 KiB), and
    /// the window is refilled once half of it is answered. The window must
    /// fit in the socket's receive buffer with the replies it brings; 64
    /// requests of a few hundred bytes each fit the default.
    ///
    /// - Throws: `NetlinkError` `ETIMEDOUT` when the peer stops answering;
    ///   errors of single requests are in the results, not thrown.
    public func pipeline(_ requests: [NetlinkMessage], window: Int = 64,
                         endingWith end: AnswerEnd = .ack) throws -> [Result<[NetlinkMessage], NetlinkError>] {
        guard !requests.isEmpty else { return [] }
        let flags = Self.flags(for: end)
        return try sequence.withLock { next in
            let first = next
            // One sequence number per request, consecutive (wrapping past 0).
            func number(_ position: Int) -> UInt32 {
                var value = first &+ UInt32(truncatingIfNeeded: position)
                if value < first { value &+= 1 }
                return value
            }
            // The position of the sent request numbered `sequence`: numbers
            // are consecutive, so no table is kept.
            func position(of sequence: UInt32, sent: Int) -> Int? {
                var offset = sequence &- first
                if sequence < first {
                    // Numbered after wrapping past 0, which is skipped.
                    guard sequence != 0 else { return nil }
                    offset &-= 1
                }
                return offset < UInt32(sent) ? Int(offset) : nil
            }
            var results = [Result<[NetlinkMessage], NetlinkError>?](repeating: nil, count: requests.count)
            // Replies before the ACK, by position, when the ACK ends an answer.
            var replies = [[NetlinkMessage]](repeating: [], count: end == .ack ? requests.count : 0)
            var sent = 0, finished = 0
            let width = max(1, window)
            // Where each refill's datagrams are written, its room kept from one to the next.
            var batch = WireBuffer()
            // Matches each message of one datagram of answers to its request.
            func take(_ answers: [NetlinkMessage]) {
                for message in answers {
                    guard let position = position(of: message.header.sequence, sent: sent), results[position] == nil else { continue }
                    switch message.header.type {
                    case MessageType.error:
                        do {
                            if let error = try ExtendedAck.decode(message) {
                                results[position] = .failure(error)
                            } else {
                                results[position] = .success(end == .ack ? replies[position] : [])
                            }
                        } catch let error as NetlinkError {
                            results[position] = .failure(error)
                        } catch {
                            results[position] = .failure(NetlinkError(errno: EPROTO, message: "\(error)"))
                        }
                        if end == .ack { replies[position] = [] }
                        finished += 1
                    case MessageType.noop, MessageType.done:
                        continue
                    default:
                        guard end == .reply else {
                            replies[position].append(message)
                            continue
                        }
                        // A datagram of one reply, the usual case, is already
                        // the array to hand over: no allocation per reply.
                        results[position] = .success(answers.count == 1 ? answers : [message])
                        finished += 1
                    }
                }
            }
            while finished < requests.count {
                // Refill the window once half of it is free, packing the
                // requests into few datagrams: a family answers each message
                // of a datagram in turn (netlink_rcv_skb), and the peer then
                // wakes once for many requests.
                if sent - finished <= width / 2 {
                    batch.truncate(to: 0)
                    while sent < requests.count, sent - finished < width {
                        var message = requests[sent]
                        message.header.flags.formUnion(flags)
                        message.header.sequence = number(sent)
                        message.header.port = socket.localPort
                        let size = alignTo4(MessageHeader.size + message.payloadSlice.count)
                        if batch.count > 0, batch.count + size > Self.batchLimit {
                            try socket.send(batch, toPort: peerPort)
                            batch.truncate(to: 0)
                        }
                        message.write(to: &batch)
                        sent += 1
                    }
                    if batch.count > 0 { try socket.send(batch, toPort: peerPort) }
                }
                // Wait for one answer, then take the others already queued.
                take(try receiveFromPeer(waiting: " with \(sent - finished) requests in flight"))
                while let more = try receiveQueuedFromPeer() { take(more) }
            }
            next = number(requests.count)
            return results.map { $0 ?? .failure(NetlinkError(errno: EIO, message: "no answer")) }
        }
    }

    /// Sends `request` and hands each reply to `deliver` until its end:
    /// the ACK, `NLMSG_DONE` or, when `endsAtReply`, the first reply.
    private func exchange(_ request: NetlinkMessage, endsAtReply: Bool, deliver: (NetlinkMessage) throws -> Void) throws {
        try sequence.withLock { next in
            var message = request
            message.header.sequence = next
            message.header.port = socket.localPort
            next = next &+ 1
            if next == 0 { next = 1 }
            try socket.send(message.encoded(), toPort: peerPort)
            try collect(sequence: message.header.sequence, endsAtReply: endsAtReply, deliver: deliver)
        }
    }

    /// The messages of the next unicast datagram from the peer already
    /// queued, without waiting; `nil` when none is.
    private func receiveQueuedFromPeer() throws -> [NetlinkMessage]? {
        while let datagram = try socket.receiveIfQueued() {
            if datagram.senderPort == peerPort, datagram.groups == 0 { return try NetlinkMessage.parse(datagram.bytes) }
        }
        return nil
    }

    /// The messages of the next unicast datagram from the peer (others are
    /// dropped); `ETIMEDOUT` when none comes within the receive timeout.
    private func receiveFromPeer(waiting context: @autoclosure () -> String = "") throws -> [NetlinkMessage] {
        while true {
            let datagram: Datagram
            do {
                datagram = try socket.receive()
            } catch let error as NetlinkError where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                // Made only for the error: a pipeline waits here once a window.
                throw NetlinkError(errno: ETIMEDOUT, message: "no answer from netlink port \(peerPort) on \(socket.netlinkProtocol)\(context())")
            }
            if datagram.senderPort == peerPort, datagram.groups == 0 { return try NetlinkMessage.parse(datagram.bytes) }
        }
    }

    /// Reads datagrams until the reply to `sequence` is complete, handing
    /// each reply message to `deliver` and dropping stale replies to
    /// earlier, abandoned requests. When `deliver` throws, the rest of the
    /// reply is still read, so that it cannot be taken for a later one's.
    private func collect(sequence: UInt32, endsAtReply: Bool, deliver: (NetlinkMessage) throws -> Void) throws {
        var interrupted = false
        var failure: (any Error)?
        while true {
            for message in try receiveFromPeer() where message.header.sequence == sequence {
                switch message.header.type {
                case MessageType.error:
                    if let error = try ExtendedAck.decode(message) { throw error }
                    if let failure { throw failure }
                    return
                case MessageType.done:
                    if let error = try ExtendedAck.decode(message) { throw error }
                    if let failure { throw failure }
                    if interrupted { throw DumpInterruptedError(partial: []) }
                    return
                case MessageType.noop:
                    continue
                default:
                    if message.header.flags.contains(.dumpInterrupted) { interrupted = true }
                    if failure == nil {
                        do { try deliver(message) } catch { failure = error }
                    }
                    if endsAtReply {
                        if let failure { throw failure }
                        return
                    }
                }
            }
        }
    }
}
