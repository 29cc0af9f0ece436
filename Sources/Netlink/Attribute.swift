#if canImport(Glibc)
import Glibc
#endif

/// One netlink attribute (`struct nlattr` and its payload) as received.
public struct Attribute: Sendable, Hashable {
    /// `NLA_F_NESTED`: set by the sender on attributes that hold attributes.
    public static let nestedFlag: UInt16 = 0x8000
    /// `NLA_F_NET_BYTEORDER`.
    public static let netByteOrderFlag: UInt16 = 0x4000
    /// Size of `struct nlattr`.
    public static let headerSize = 4

    /// Attribute type, without the flag bits.
    public var type: UInt16
    /// Whether the sender set `NLA_F_NESTED`.
    public var nestedFlag: Bool
    /// Whether the sender set `NLA_F_NET_BYTEORDER`.
    public var netByteOrderFlag: Bool
    /// The payload, without padding.
    public var payload: [UInt8]
    /// Byte offset of the attribute's header from the start of the message
    /// (`nlmsghdr`), as extended ACKs report it.
    public var offset: Int

    @inlinable
    public init(type: UInt16, nestedFlag: Bool = false, netByteOrderFlag: Bool = false, payload: [UInt8], offset: Int = 0) {
        self.type = type
        self.nestedFlag = nestedFlag
        self.netByteOrderFlag = netByteOrderFlag
        self.payload = payload
        self.offset = offset
    }

    /// Attributes parsed from a buffer, and what was left over.
    public struct Parsed: Sendable {
        /// The attributes, in wire order.
        public var attributes: [Attribute]
        /// Bytes at the end too short to hold an attribute (the kernel's
        /// strict validation rejects them).
        public var leftover: Int

        @inlinable
        public init(attributes: [Attribute], leftover: Int) {
            self.attributes = attributes
            self.leftover = leftover
        }
    }

    /// Parses a run of attributes.
    ///
    /// - Parameters:
    ///   - bytes: the attribute area.
    ///   - baseOffset: offset of `bytes` from the start of the message, so
    ///     that each attribute's `offset` is what an extack reports.
    /// - Throws: `NetlinkError` (`EINVAL`) when an `nla_len` is below 4 or runs
    ///   past the buffer; its `offset` points at that attribute.
    @inlinable
    public static func parse<C: RandomAccessCollection>(_ bytes: C, baseOffset: Int = 0) throws -> Parsed
    where C.Element == UInt8, C.Index == Int {
        var attributes: [Attribute] = []
        var position = bytes.startIndex
        while bytes.endIndex - position >= headerSize {
            let length = Int(UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8)
            let rawType = UInt16(bytes[position + 2]) | UInt16(bytes[position + 3]) << 8
            let offset = baseOffset + (position - bytes.startIndex)
            guard length >= headerSize, length <= bytes.endIndex - position else {
                throw overrun(offset: offset, length: length)
            }
            attributes.append(Attribute(
                type: rawType & ~(nestedFlag | netByteOrderFlag),
                nestedFlag: rawType & Self.nestedFlag != 0,
                netByteOrderFlag: rawType & Self.netByteOrderFlag != 0,
                payload: Array(bytes[(position + headerSize)..<(position + length)]),
                offset: offset))
            position += min(alignTo4(length), bytes.endIndex - position)
        }
        return Parsed(attributes: attributes, leftover: bytes.endIndex - position)
    }

    /// The error for an `nla_len` below 4 or past its container, at `offset`.
    @inlinable
    static func overrun(offset: Int, length: Int) -> NetlinkError {
        NetlinkError(errno: EINVAL, message: "attribute at offset \(offset) has length \(length), which runs past its container",
                     offset: UInt32(offset))
    }

    /// The attributes nested in this one; offsets stay relative to the message.
    @inlinable
    public func children() throws -> [Attribute] {
        try Attribute.parse(payload, baseOffset: offset + Attribute.headerSize).attributes
    }
}
