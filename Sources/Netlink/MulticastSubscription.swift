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
    /// The events, in arrival order.
    public let events: AsyncStream<MulticastEvent>
    private let cancelled: CancellationFlag
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
    public init(protocol netlinkProtocol: NetlinkProtocol = .generic, groups: [UInt32],
                senderPort: UInt32?, receiveBuffer: Int32? = nil) throws {
        let socket = try NetlinkSocket(protocol: netlinkProtocol)
        for group in groups { try socket.join(group: group) }
        if let receiveBuffer { try socket.setBufferSizes(receive: receiveBuffer, send: 32768) }
        // Wake up now and then to notice cancellation.
        try socket.setReceiveTimeout(0.2)
        localPort = socket.localPort
        let cancelled = CancellationFlag()
        self.cancelled = cancelled
        let (stream, continuation) = AsyncStream<MulticastEvent>.makeStream(bufferingPolicy: .unbounded)
        events = stream
        let box = UncheckedBox(socket)
        continuation.onTermination = { _ in cancelled.set() }
        let thread = DispatchQueue(label: "netlink.multicast.\(socket.localPort)")
        thread.async {
            let socket = box.value
            while !cancelled.isSet {
                let datagram: Datagram
                do {
                    datagram = try socket.receive()
                } catch let error as NetlinkError {
                    if error.errno == ENOBUFS {
                        continuation.yield(.overrun)
                        continue
                    }
                    if error.errno == EAGAIN || error.errno == EWOULDBLOCK { continue }
                    break
                } catch {
                    break
                }
                if let senderPort, datagram.senderPort != senderPort { continue }
                guard let messages = try? NetlinkMessage.parse(datagram.bytes) else { continue }
                for message in messages { continuation.yield(.message(message)) }
            }
            continuation.finish()
        }
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
