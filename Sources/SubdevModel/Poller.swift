import CSystemCalls
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The descriptors the model waits on, in one epoll set: adding or
/// removing one, and waking for one, cost the same however many device
/// nodes there are, where `poll` would scan them all on every wake.
///
/// Used from the model's one thread.
final class Poller {
    private let epoll: Int32

    /// - Throws: `NetlinkError` with the errno of `epoll_create1`.
    init() throws {
        epoll = subdev_epoll_create()
        guard epoll >= 0 else { throw NetlinkError.system("epoll_create1", errno: errno) }
    }

    deinit {
        close(epoll)
    }

    /// Watches `fd` for input.
    func add(_ fd: Int32) throws {
        guard subdev_epoll_add(epoll, fd) == 0 else { throw NetlinkError.system("epoll_ctl(add \(fd))", errno: errno) }
    }

    /// Stops watching `fd`; call before closing it.
    func remove(_ fd: Int32) {
        _ = subdev_epoll_remove(epoll, fd)
    }

    /// Waits up to `timeout` milliseconds (-1: for ever) and returns the
    /// descriptors that have input; none on timeout or a signal.
    ///
    /// The array returned shares the poller's buffer: let it go before the
    /// next wait, as the server's loop does, and that wait allocates nothing.
    func wait(timeout: Int32) -> [Int32] {
        ready.removeAll(keepingCapacity: true)
        ready.append(contentsOf: repeatElement(-1, count: Self.capacity))
        let count = ready.withUnsafeMutableBufferPointer {
            subdev_epoll_wait(epoll, $0.baseAddress, Int32($0.count), timeout)
        }
        ready.removeLast(Self.capacity - Int(max(count, 0)))
        return ready
    }

    /// At most this many descriptors come back from one wait; the rest wait for the next.
    private static let capacity = 64
    /// The buffer each wait fills; see `wait(timeout:)`.
    private var ready: [Int32] = []
}
