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
    /// The socket; used by one request or batch at a time, under `outgoing`.
    private let socket: NetlinkSocket
    /// Port id of the peer that answers: 0 for the kernel, the model's port otherwise.
    public let peerPort: UInt32
    /// What requests leave with, under one lock: the next sequence
    /// number, and the buffer they are written into, its room kept from
    /// one request or pipeline to the next (a single request was copied
    /// into an array of its own to be sent).
    private struct Outgoing {
        var next: UInt32 = 1
        var buffer = WireBuffer()
    }
    private let outgoing = Mutex(Outgoing())
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
    /// Requests go out as `pipeline(count:window:endingWith:writing:reply:answered:)`
    /// sends them; this keeps every request and reply until the last is
    /// answered, where that one hands each over as it comes.
    ///
    /// - Throws: `NetlinkError` `ETIMEDOUT` when the peer stops answering;
    ///   errors of single requests are in the results, not thrown.
    public func pipeline(_ requests: [NetlinkMessage], window: Int = 64,
                         endingWith end: AnswerEnd = .ack) throws -> [Result<[NetlinkMessage], NetlinkError>] {
        var replies = [[NetlinkMessage]](repeating: [], count: requests.count)
        var results = [Result<[NetlinkMessage], NetlinkError>?](repeating: nil, count: requests.count)
        try pipeline(count: requests.count, window: window, endingWith: end,
                     writing: { position, batch in requests[position].write(to: &batch) },
                     reply: { position, message in replies[position].append(message) },
                     answered: { position, error in
                         results[position] = error.map { .failure($0) } ?? .success(replies[position])
                         replies[position] = []
                     })
        return results.map { $0 ?? .failure(NetlinkError(errno: EIO, message: "no answer")) }
    }

    /// Sends `count` `do` requests with up to `window` in flight at once,
    /// and hands over each answer as it arrives: each reply message to
    /// `reply`, then the end of each request's answer to `answered`, with
    /// the error it failed with or nil. Replies are matched by sequence
    /// number, so the peer may answer in any order; every request is
    /// answered once, unless this throws.
    ///
    /// `write` writes request `position` whole at the end of the datagram
    /// being filled (as `NetlinkMessage.write(to:)` or
    /// `GenericMessage.writeRequest` do), with its length; the connection
    /// sets its flags, sequence number and port, so no request has a
    /// buffer of its own. Requests go out packed, several to a datagram
    /// (at most 32 KiB), and the window is refilled once half of it is
    /// answered. The window must fit in the socket's receive buffer with
    /// the replies it brings; 64 requests of a few hundred bytes each fit
    /// the default.
    ///
    /// The closures run on the calling thread, with the connection's other
    /// requests held off, and a message handed to `reply` shares its
    /// datagram's bytes: decode it there, and copy what must outlive it.
    /// For more than one request, a calling thread under `SCHED_OTHER`
    /// runs under `SCHED_BATCH` until the pipeline ends, so that the
    /// answers it is woken for do not preempt the peer (see
    /// `BatchScheduling`); its policy is then put back.
    ///
    /// - Throws: `NetlinkError` `ETIMEDOUT` when the peer stops answering;
    ///   `ProtocolError` for a datagram that cannot be split into
    ///   messages. Errors of single requests go to `answered`.
    public func pipeline(count: Int, window: Int = 64, endingWith end: AnswerEnd = .ack,
                         writing write: (_ position: Int, _ batch: inout WireBuffer) -> Void,
                         reply: (_ position: Int, _ message: NetlinkMessage) -> Void,
                         answered: (_ position: Int, _ error: NetlinkError?) -> Void) throws {
        guard count > 0 else { return }
        let flags = Self.flags(for: end)
        try outgoing.withLock { state in
            let first = state.next
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
            // Which requests are answered, a bit each: a stale or repeated
            // answer is dropped.
            var done = [UInt64](repeating: 0, count: (count + 63) / 64)
            var sent = 0, finished = 0
            let width = max(1, window)
            // Where each refill's datagrams are written, its room kept from one to the next.
            var batch = WireBuffer()
            swap(&batch, &state.buffer)
            defer { swap(&batch, &state.buffer) }
            func finish(_ position: Int, _ error: NetlinkError?) {
                done[position >> 6] |= 1 << UInt64(position & 63)
                finished += 1
                answered(position, error)
            }
            // Matches one message of an answer to its request.
            func take(_ message: NetlinkMessage) {
                guard let position = position(of: message.header.sequence, sent: sent),
                      done[position >> 6] & (1 << UInt64(position & 63)) == 0 else { return }
                switch message.header.type {
                case MessageType.error:
                    do {
                        finish(position, try ExtendedAck.decode(message))
                    } catch let error as NetlinkError {
                        finish(position, error)
                    } catch {
                        finish(position, NetlinkError(errno: EPROTO, message: "\(error)"))
                    }
                case MessageType.noop, MessageType.done:
                    return
                default:
                    reply(position, message)
                    if end == .reply { finish(position, nil) }
                }
            }
            // Many answers come back: woken by each, this thread would
            // preempt the peer still sending the rest (BatchScheduling).
            try BatchScheduling.run(if: count > 1) {
                while finished < count {
                    // Refill the window once half of it is free, packing the
                    // requests into few datagrams: a family answers each message
                    // of a datagram in turn (netlink_rcv_skb), and the peer then
                    // wakes once for many requests.
                    if sent - finished <= width / 2 {
                        batch.truncate(to: 0)
                        while sent < count, sent - finished < width {
                            let start = batch.count
                            write(sent, &batch)
                            precondition(batch.count - start >= MessageHeader.size, "request \(sent) of a pipeline wrote \(batch.count - start) bytes")
                            batch.store(flags.rawValue | batch.load(UInt16.self, at: start + 6), at: start + 6)
                            batch.store(number(sent), at: start + 8)
                            batch.store(socket.localPort, at: start + 12)
                            batch.padToAlignment()
                            if start > 0, batch.count > Self.batchLimit {
                                // Full: what came before goes now, this one starts the next.
                                try socket.send(batch, prefix: start, toPort: peerPort)
                                batch.removePrefix(start)
                            }
                            sent += 1
                        }
                        if batch.count > 0 { try socket.send(batch, toPort: peerPort) }
                    }
                    // One datagram of answers, waited for: one that is queued
                    // already is read at once.
                    try receiveFromPeer(waiting: " with \(sent - finished) requests in flight", each: take)
                }
            }
            state.next = number(count)
        }
    }

    /// Sends `request` and hands each reply to `deliver` until its end:
    /// the ACK, `NLMSG_DONE` or, when `endsAtReply`, the first reply.
    private func exchange(_ request: NetlinkMessage, endsAtReply: Bool, deliver: (NetlinkMessage) throws -> Void) throws {
        try outgoing.withLock { state in
            var message = request
            message.header.sequence = state.next
            message.header.port = socket.localPort
            state.next = state.next &+ 1
            if state.next == 0 { state.next = 1 }
            state.buffer.truncate(to: 0)
            message.write(to: &state.buffer)
            try socket.send(state.buffer, toPort: peerPort)
            try collect(sequence: message.header.sequence, endsAtReply: endsAtReply, deliver: deliver)
        }
    }

    /// Hands each message of the next unicast datagram from the peer to
    /// `body` (others are dropped); `ETIMEDOUT` when none comes within
    /// the receive timeout.
    private func receiveFromPeer(waiting context: @autoclosure () -> String = "", each body: (NetlinkMessage) throws -> Void) throws {
        while true {
            let datagram: Datagram
            do {
                datagram = try socket.receive()
            } catch let error as NetlinkError where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                // Made only for the error: a pipeline waits here once a window.
                throw NetlinkError(errno: ETIMEDOUT, message: "no answer from netlink port \(peerPort) on \(socket.netlinkProtocol)\(context())")
            }
            guard datagram.senderPort == peerPort, datagram.groups == 0 else { continue }
            if datagram.isCut {
                throw NetlinkError(errno: EMSGSIZE, message: "netlink port \(peerPort) sent a datagram of \(datagram.length) bytes, more than the \(datagram.bytes.count) a read took: its end was lost (the socket now reads \(socket.receiveRoom))")
            }
            return try NetlinkMessage.forEach(in: datagram.bytes, body)
        }
    }

    /// Reads datagrams until the reply to `sequence` is complete, handing
    /// each reply message to `deliver` and dropping stale replies to
    /// earlier, abandoned requests. When `deliver` throws, the rest of the
    /// reply is still read, so that it cannot be taken for a later one's.
    private func collect(sequence: UInt32, endsAtReply: Bool, deliver: (NetlinkMessage) throws -> Void) throws {
        var interrupted = false
        var failure: (any Error)?
        // Set at the answer's end; what follows it in the datagram is not its.
        var complete = false
        while !complete {
            try receiveFromPeer { message in
                guard !complete, message.header.sequence == sequence else { return }
                switch message.header.type {
                case MessageType.error:
                    complete = true
                    if let error = try ExtendedAck.decode(message) { throw error }
                    if let failure { throw failure }
                case MessageType.done:
                    complete = true
                    if let error = try ExtendedAck.decode(message) { throw error }
                    if let failure { throw failure }
                    if interrupted { throw DumpInterruptedError(partial: []) }
                case MessageType.noop:
                    return
                default:
                    if message.header.flags.contains(.dumpInterrupted) { interrupted = true }
                    if failure == nil {
                        do { try deliver(message) } catch { failure = error }
                    }
                    if endsAtReply {
                        complete = true
                        if let failure { throw failure }
                    }
                }
            }
        }
    }
}
