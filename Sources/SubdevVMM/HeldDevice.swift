import CSystemCalls
import Foundation
import Netlink
import Subdev
import SubdevUAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A subdevice a VMM holds: an open connection to its device node, the
/// model's `/dev/vfio/devices/vfioN`. While the connection is open the VMM
/// holds the device; `release()` (or exiting) lets go of it.
///
/// The events of the subdevice arrive on the connection itself, so a VMM
/// needs no multicast subscription for the devices it holds: remove
/// requests, revocation, AER errors with each step of their recovery, and
/// hotplug requests for its parent. `events` ends when the connection
/// closes: after `release()`, or when the model revoked it.
///
/// Thread-safe. One thread per device reads the connection.
public final class HeldDevice: Sendable {
    /// The device node it holds.
    public let path: String
    /// The subdevice, as described when it was opened.
    public let device: DeviceInfo
    /// Events in arrival order; the stream ends when the connection closes.
    public let events: AsyncStream<SubdevEvent>
    private let familyID: UInt16
    private let familyVersion: UInt8
    private let connection: Connection

    /// What the reading thread and the callers share.
    private final class Connection: Sendable {
        let state: Mutex<State>
        init(_ descriptor: Int32) { state = Mutex(State(descriptor: descriptor)) }
    }

    private struct State {
        var descriptor: Int32
        var nextSequence: UInt32 = 1
        var waiting: [UInt32: CheckedContinuation<Void, any Error>] = [:]
        var closed = false
    }

    /// Opens the device node of `device`, as a VMM opens its VFIO cdev.
    ///
    /// - Throws: `NetlinkError` naming the node: `EACCES` when its owner
    ///   and mode refuse this process, `ENOENT` when it is gone. A
    ///   subdevice that is down accepts and closes at once, so its
    ///   `events` end straight away.
    public init(_ device: DeviceInfo, family: FamilyDescription) throws {
        guard let node = device.vfio?.devNode else {
            throw NetlinkError(errno: ENODEV, message: "\(device.handle) has no VFIO device node")
        }
        let fd = subdev_unix_connect(node)
        guard fd >= 0 else {
            let code = errno
            throw NetlinkError.system("open \(node) for \(device.handle)", errno: code)
        }
        path = node
        self.device = device
        familyID = family.id
        familyVersion = UInt8(truncatingIfNeeded: family.version)
        let connection = Connection(fd)
        self.connection = connection
        let (stream, continuation) = AsyncStream<SubdevEvent>.makeStream()
        events = stream
        let familyID = family.id
        Thread.detachNewThread {
            Self.read(fd, familyID: familyID, connection: connection, continuation: continuation)
        }
    }

    /// Opens `handle`'s device node, found through `client`. Runs on the
    /// caller's executor, as the client's methods do.
    public static nonisolated(nonsending) func open(_ handle: DeviceHandle, client: SubdevClient) async throws -> HeldDevice {
        try HeldDevice(try await client.device(handle), family: client.family)
    }

    /// Answers an AER error-detected event on the connection and waits for
    /// the model to accept the answer.
    ///
    /// - Throws: `NetlinkError` with the model's reason (another event's
    ///   sequence, a second answer, no recovery waiting), or `ENOTCONN`
    ///   when the connection is closed. Runs on the caller's executor.
    public nonisolated(nonsending) func answer(_ event: AEREvent, with result: SubdevAerResult) async throws {
        var attributes = AttributeEncoder()
        attributes.put(SubdevEventAttr.seq, event.sequence)
        attributes.put(SubdevEventAttr.aerResult, UInt8(result.rawValue))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let failure: (any Error)? = connection.state.withLock { state in
                guard !state.closed else {
                    return NetlinkError(errno: ENOTCONN, message: "\(path) is no longer held")
                }
                let sequence = state.nextSequence
                state.nextSequence &+= 1
                let bytes = GenericMessage(family: familyID, command: SubdevCommand.aerAnswer.rawValue, version: familyVersion,
                                           flags: [.request, .ack], sequence: sequence, attributes: attributes.bytes).netlinkMessage.encoded()
                let sent = bytes.withUnsafeBytes { send(state.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == bytes.count else {
                    return NetlinkError.system("answer on \(path)", errno: errno)
                }
                state.waiting[sequence] = continuation
                return nil
            }
            if let failure { continuation.resume(throwing: failure) }
        }
    }

    /// Lets go of the device: the connection closes, the model sees the
    /// release, and `events` ends. Calling it again does nothing.
    public func release() {
        connection.state.withLock { state in
            guard !state.closed else { return }
            // The reader thread sees end of file and closes the descriptor.
            shutdown(state.descriptor, Int32(SHUT_RDWR))
        }
    }

    /// Whether the connection is still open.
    public var isHeld: Bool { connection.state.withLock { !$0.closed } }

    deinit {
        release()
    }

    /// Reads the connection until it closes: events go to the stream,
    /// acknowledgements to the answers waiting for them.
    private static func read(_ fd: Int32, familyID: UInt16, connection: Connection,
                             continuation: AsyncStream<SubdevEvent>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            for message in (try? NetlinkMessage.parse(Array(buffer[0..<count]))) ?? [] {
                if message.header.type == MessageType.error {
                    let waiter = connection.state.withLock { $0.waiting.removeValue(forKey: message.header.sequence) }
                    do {
                        if let error = try ExtendedAck.decode(message) {
                            waiter?.resume(throwing: error)
                        } else {
                            waiter?.resume()
                        }
                    } catch {
                        waiter?.resume(throwing: error)
                    }
                } else if let event = try? SubdevEvent(message, familyID: familyID) {
                    continuation.yield(event)
                }
            }
        }
        let waiting = connection.state.withLock { state in
            state.closed = true
            close(state.descriptor)
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiting { waiter.resume(throwing: NetlinkError(errno: ENOTCONN, message: "the device connection closed")) }
        continuation.finish()
    }
}
