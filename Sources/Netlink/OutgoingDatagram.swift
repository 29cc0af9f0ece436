#if canImport(Glibc)
import Glibc
#endif

/// A datagram and where it goes: to one socket's port, or to a multicast
/// group. A batch of them leaves in one `sendmmsg`, each to its own
/// destination.
public struct OutgoingDatagram: Sendable {
    public var bytes: [UInt8]
    /// The destination's `nl_pid`: a socket's port, 0 for the kernel or a group.
    public var port: UInt32
    /// The destination's `nl_groups`: the bit of one multicast group, 0 for
    /// unicast.
    public var groups: UInt32

    /// To the socket bound to `port` (0: the kernel).
    public init(_ bytes: [UInt8], toPort port: UInt32) {
        self.bytes = bytes
        self.port = port
        groups = 0
    }

    /// To multicast group `group` (1...32: the groups a `sockaddr_nl` can name).
    ///
    /// - Throws: `NetlinkError` `EINVAL` for a group outside 1...32.
    public init(_ bytes: [UInt8], toGroup group: UInt32) throws {
        guard (1...32).contains(group) else {
            throw NetlinkError(errno: EINVAL, message: "multicast group \(group) is outside 1...32")
        }
        self.bytes = bytes
        port = 0
        groups = 1 << (group - 1)
    }
}
