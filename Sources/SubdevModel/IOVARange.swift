/// A range of I/O virtual addresses a subdevice may not map, inclusive.
public struct IOVARange: Sendable, Hashable {
    public var start: UInt64
    public var end: UInt64
    /// As the kernel's reserved_regions says: msi, direct, reserved.
    public var kind: String

    public init(start: UInt64, end: UInt64, kind: String) {
        self.start = start
        self.end = end
        self.kind = kind
    }

    /// The x86 MSI window every device inherits: 0xfee00000-0xfeefffff.
    public static let x86MSIWindow = IOVARange(start: 0xFEE0_0000, end: 0xFEEF_FFFF, kind: "msi")
}
