import Foundation

/// Netlink port ids as people write them.
public enum PortID {
    /// Parses a port id: decimal or `0x` hexadecimal, 0...UInt32.max
    /// (0 is the kernel). Surrounding spaces are ignored.
    public static func parse(_ text: String) -> UInt32? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X") { return UInt32(trimmed.dropFirst(2), radix: 16) }
        return UInt32(trimmed)
    }
}
