import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Many sockets joined to one multicast group, read by one thread: each
/// notification's arrival at every subscriber is timed.
final class Subscribers {
    private let sockets: [NetlinkSocket]
    private let senderPort: UInt32

    init(count: Int, group: UInt32, senderPort: UInt32) throws {
        sockets = try (0..<count).map { _ in
            let socket = try NetlinkSocket(protocol: .generic)
            try socket.join(group: group)
            return socket
        }
        self.senderPort = senderPort
    }

    struct Outcome {
        var latencies: [Double] = []
        /// Subscribers that did not get the notification within a second.
        var missing = 0
        /// Subscribers whose socket reported ENOBUFS.
        var overruns = 0
    }

    /// Waits for one notification on every socket; latencies from `sent`.
    func collect(one sent: UInt64) -> Outcome {
        var outcome = Outcome()
        var waiting = Set(sockets.indices)
        let deadline = sent + 1_000_000_000
        while !waiting.isEmpty {
            let order = Array(waiting)
            var fds = order.map { pollfd(fd: sockets[$0].fileDescriptor, events: Int16(POLLIN), revents: 0) }
            let remaining = deadline > now() ? Int32((deadline - now()) / 1_000_000) : 0
            guard poll(&fds, nfds_t(fds.count), max(remaining, 1)) > 0 else { break }
            for (entry, index) in zip(fds, order) where entry.revents != 0 {
                do {
                    let datagram = try sockets[index].receive()
                    guard datagram.senderPort == senderPort else { continue }
                    outcome.latencies.append(Double(now() - sent))
                    waiting.remove(index)
                } catch let error as NetlinkError where error.errno == ENOBUFS {
                    outcome.overruns += 1
                    waiting.remove(index)
                } catch {
                    waiting.remove(index)
                    outcome.missing += 1
                }
            }
            if now() > deadline { break }
        }
        outcome.missing += waiting.count
        return outcome
    }
}
