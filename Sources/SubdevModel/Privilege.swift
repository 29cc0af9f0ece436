import Foundation
import Netlink
#if canImport(Glibc)
import Glibc
#endif

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
        var target = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/\(process)/ns/user", &target, target.count)
        guard count > 0 else { return nil }
        return String(decoding: target[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The `CapEff` mask of `/proc/PROCESS/status`, found by scanning the
    /// bytes: this runs for every privileged request over usersock.
    static func effectiveCapabilities(of process: String) -> UInt64? {
        let fd = open("/proc/\(process)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var length = 0
        while length < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return read(fd, base + length, raw.count - length)
            }
            if count <= 0 { break }
            length += count
        }
        let key = Array("\nCapEff:".utf8)
        guard length > key.count,
              let start = (0...(length - key.count)).first(where: { buffer[$0..<($0 + key.count)].elementsEqual(key) }) else {
            return nil
        }
        var value: UInt64 = 0
        var position = start + key.count
        while position < length, buffer[position] == 0x09 || buffer[position] == 0x20 { position += 1 }
        while position < length, let digit = hexDigit(buffer[position]) {
            value = value << 4 | UInt64(digit)
            position += 1
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
