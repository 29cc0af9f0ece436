import Foundation
import Netlink

/// Whether a sender may run operations flagged `admin-perm`, as the kernel
/// asks `netlink_capable(skb, CAP_NET_ADMIN)`.
enum Privilege {
    /// Bit of `CAP_NET_ADMIN` in a capability set.
    static let capNetAdmin: UInt64 = 1 << 12

    /// The sender holds `CAP_NET_ADMIN` in its effective set. The model reads
    /// it from `/proc/PID/status` of the process the credentials name; a
    /// sender that is gone, or sent no credentials, is not privileged.
    static func isAdmin(_ credentials: Credentials?) -> Bool {
        guard let credentials,
              let status = try? String(contentsOfFile: "/proc/\(credentials.pid)/status", encoding: .utf8) else {
            return false
        }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
            return (UInt64(hex, radix: 16) ?? 0) & capNetAdmin != 0
        }
        return false
    }
}
