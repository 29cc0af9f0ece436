import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a multicast subscriber receives.
public enum MulticastEvent: Sendable {
    /// A notification or event message.
    case message(NetlinkMessage)
    /// The socket's receive buffer overran and messages were lost
    /// (`ENOBUFS`): the subscriber's view is stale, so it should resynchronise
    /// with a dump.
    case overrun
}

/// A socket that joined multicast groups, read on a thread of its own and
/// delivered as an `AsyncSequence`.
///
/// Messages are delivered in the order the socket received them. The
/// subscription ends when the stream's consumer goes away or `cancel()` is
/// called; the socket closes then.
public final class MulticastSubscription: Sendable {
    /// The events, in arrival order; at most `bufferLimit` wait unread.
    public let events: AsyncStream<MulticastEvent>
    private let cancelled: CancellationFlag
    private let started = Atomic<Bool>(false)
    private let reader: @Sendable () -> Void
    /// Port id of the subscriber socket.
    public let localPort: UInt32

    /// Joins `groups` on a new socket and starts reading.
    ///
    /// - Parameters:
    ///   - groups: multicast group ids.
    ///   - senderPort: accept only datagrams from this port (the model's),
    ///     or from any sender when `nil`.
    ///   - receiveBuffer: `SO_RCVBUF` in bytes; small values make overruns
    ///     easy to provoke in tests.
    ///   - bufferLimit: how many unread events may wait. Past it, messages
    ///     are dropped and the consumer gets `.overrun` once there is room,
    ///     as the kernel reports `ENOBUFS`: a slow consumer loses messages
    ///     and learns it, rather than growing memory without bound.
    ///   - startReading: whether the reading thread starts now; when
    ///     `false`, messages wait in the socket's receive buffer until
    ///     `start()`, as with a plain socket nobody reads yet.
    public init(protocol netlinkProtocol: NetlinkProtocol = .generic, groups: [UInt32],
                senderPort: UInt32?, receiveBuffer: Int32? = nil, bufferLimit: Int = 4096,
                startReading: Bool = true) throws {
        let socket = try NetlinkSocket(protocol: netlinkProtocol)
        for group in groups { try socket.join(group: group) }
        if let receiveBuffer { try socket.setBufferSizes(receive: receiveBuffer, send: 32768) }
        // Wake up now and then to notice cancellation.
        try socket.setReceiveTimeout(0.2)
        localPort = socket.localPort
        let cancelled = CancellationFlag()
        self.cancelled = cancelled
        let (stream, continuation) = AsyncStream<MulticastEvent>.makeStream(bufferingPolicy: .bufferingOldest(max(1, bufferLimit)))
        events = stream
        let box = UncheckedBox(socket)
        continuation.onTermination = { _ in cancelled.set() }
        let thread = DispatchQueue(label: "netlink.multicast.\(socket.localPort)")
        reader = { thread.async {
            let socket = box.value
            // Set when a message was lost; cleared once .overrun is queued.
            var lost = false
            func deliver(_ event: MulticastEvent) {
                if lost {
                    guard case .enqueued = continuation.yield(.overrun) else { return }
                    lost = false
                }
                if case .dropped = continuation.yield(event) { lost = true }
            }
            while !cancelled.isSet {
                let datagram: Datagram
                do {
                    datagram = try socket.receive()
                } catch let error as NetlinkError {
                    if error.errno == ENOBUFS {
                        // What waits in the socket predates the loss: a
                        // consumer that applied it after resynchronising
                        // could not repair it, since what followed is lost.
                        socket.discardQueued()
                        lost = true
                        continue
                    }
                    if error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                        // Idle: report a loss as soon as the consumer made room.
                        if lost, case .enqueued = continuation.yield(.overrun) { lost = false }
                        continue
                    }
                    break
                } catch {
                    break
                }
                if let senderPort, datagram.senderPort != senderPort { continue }
                if datagram.isCut {
                    // Longer than a read takes: what arrived whole is
                    // delivered, and the rest is a loss like an overrun.
                    for message in NetlinkMessage.leadingMessages(of: datagram.bytes) { deliver(.message(message)) }
                    lost = true
                    continue
                }
                guard let messages = try? NetlinkMessage.parse(datagram.bytes) else { continue }
                for message in messages { deliver(.message(message)) }
            }
            continuation.finish()
        } }
        if startReading { start() }
    }

    /// Starts the reading thread, once; later calls do nothing.
    public func start() {
        if !started.exchange(true, ordering: .relaxed) { reader() }
    }

    /// Joins `family`'s groups by name, as nlctrl advertised them.
    ///
    /// - Throws: `NetlinkError` `ENOENT` naming a group the family lacks.
    public convenience init(family: FamilyDescription, groups names: [String], senderPort: UInt32?,
                            receiveBuffer: Int32? = nil, bufferLimit: Int = 4096, startReading: Bool = true) throws {
        let ids = try names.map { name in
            guard let id = family.multicastGroups[name] else {
                throw NetlinkError(errno: ENOENT, message: "family \(family.name) has no multicast group \(name)")
            }
            return id
        }
        try self.init(groups: ids, senderPort: senderPort, receiveBuffer: receiveBuffer, bufferLimit: bufferLimit,
                      startReading: startReading)
    }

    /// Stops reading and closes the socket.
    public func cancel() {
        cancelled.set()
    }

    deinit {
        cancelled.set()
    }
}

/// Hands a non-Sendable value to the one thread that will use it from now on.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A flag one thread sets and another polls.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
