import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Which of the model's multicast groups anyone listens on: what a kernel
/// family asks with `genl_has_listeners()` before it builds a
/// notification (devlink's `devlink_nl_notify_need()`), so that a change
/// nobody hears costs nothing. A user-space model is not told when a
/// socket joins a group, so it asks the kernel's socket diagnostics
/// (`NETLINK_SOCK_DIAG`, as `ss -A netlink` does), which list every
/// `NETLINK_GENERIC` socket of the network namespace with the groups it
/// joined: one dump, a few microseconds.
///
/// The answer holds from the moment it is given, as the kernel's does: a
/// socket that joined before the question is seen; one that joins while
/// the requests after it are served may miss their notifications, as it
/// may miss a kernel family's between `genl_has_listeners()` and the send.
///
/// Used from the model's one thread.
final class GroupListeners {
    /// nil once the kernel could not answer (no `netlink_diag`): every
    /// group then counts as heard, and notifications always go out.
    private var connection: NetlinkConnection?
    /// The question, the same each time: a dump of the `NETLINK_GENERIC`
    /// sockets with their groups (`struct netlink_diag_req`).
    private let request: NetlinkMessage

    /// `SOCK_DIAG_BY_FAMILY`.
    private static let byFamily: UInt16 = 20
    /// `NDIAG_SHOW_GROUPS`.
    private static let showGroups: UInt32 = 0x02
    /// `NETLINK_DIAG_GROUPS`: the socket's groups, a bitmap of `unsigned long`s.
    private static let groupsAttribute: UInt16 = 1
    /// Size of `struct netlink_diag_msg`, before its attributes.
    private static let messageSize = 28

    init() {
        connection = try? NetlinkConnection(protocol: .sockDiag, peerPort: 0, timeout: 1)
        // Family, protocol, pad, inode, what to show, cookie.
        var payload = WireBuffer(capacity: 24)
        payload.append(UInt8(AF_NETLINK))
        payload.append(UInt8(NetlinkProtocol.generic.rawValue))
        payload.append(UInt16(0))
        payload.append(UInt32(0))
        payload.append(Self.showGroups)
        payload.append(UInt64(0))
        request = NetlinkMessage(header: MessageHeader(type: Self.byFamily, flags: []), payload: payload.bytes)
    }

    /// Those of `groups` (`NETLINK_GENERIC` group ids) that at least one
    /// socket has joined; nil when the kernel cannot say, in which case
    /// the caller treats every group as heard.
    func heard(among groups: [UInt32]) -> Set<UInt32>? {
        guard let connection else { return nil }
        var heard = Set<UInt32>()
        do {
            try connection.dump(request) { message in
                let payload = message.payloadSlice
                guard payload.count >= Self.messageSize,
                      let bitmap = try AttributeDecoder(payload.dropFirst(Self.messageSize)).first(Self.groupsAttribute)?.payload else { return }
                // Group g is bit g - 1; the longs are little-endian here, so
                // byte by byte the bits run in order.
                for group in groups where group > 0 {
                    let bit = Int(group - 1)
                    if bit / 8 < bitmap.count, bitmap[bit / 8] & (1 << UInt8(bit % 8)) != 0 { heard.insert(group) }
                }
            }
        } catch {
            // Asked once more next time would fail the same way.
            self.connection = nil
            return nil
        }
        return heard
    }
}
