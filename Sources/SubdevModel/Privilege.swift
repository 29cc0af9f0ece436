import Foundation
import Netlink

/// Whether a sender may run operations flagged `admin-perm`, as the kernel
/// asks `netlink_capable(skb, CAP_NET_ADMIN)`: the capability must hold in
/// the user namespace the family lives in, not merely in one the sender
/// created for itself.
enum Privilege {
    /// Bit of `CAP_NET_ADMIN` in a capability set.
    static let capNetAdmin: UInt64 = 1 << 12

    /// The sender holds `CAP_NET_ADMIN` in its effective set and lives in
    /// the model's own user namespace. Both are read from `/proc/PID` of the
    /// process the credentials name; a sender that is gone, or sent no
    /// credentials, is not privileged.
    static func isAdmin(_ credentials: Credentials?) -> Bool {
        guard let credentials,
              let senderNamespace = userNamespace(of: "\(credentials.pid)"),
              senderNamespace == userNamespace(of: "self") else {
            return false
        }
        return effectiveCapabilities(of: "\(credentials.pid)").map { $0 & capNetAdmin != 0 } ?? false
    }

    /// Whether this process holds `CAP_NET_ADMIN`, which the model needs to
    /// answer generic netlink senders and to broadcast.
    static var modelIsAdmin: Bool {
        effectiveCapabilities(of: "self").map { $0 & capNetAdmin != 0 } ?? false
    }

    /// `user:[inode]` of `/proc/PROCESS/ns/user`.
    static func userNamespace(of process: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process)/ns/user")
    }

    /// The `CapEff` mask of `/proc/PROCESS/status`.
    static func effectiveCapabilities(of process: String) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
