/// Reads the attributes of a message or nest by type.
///
/// Accessors return `nil` when an attribute is absent and throw a
/// `ProtocolError` naming the attribute when it is present with the wrong
/// size, so a caller checks errors once with `try` around its decoding.
/// A repeated attribute that is not multi-attr reads as its last instance,
/// as the kernel's `nla_parse` does.
public struct AttributeDecoder: Sendable {
    /// The attributes, in wire order.
    public let attributes: [Attribute]

    /// Decodes the attribute area `bytes`; offsets are counted from `baseOffset`.
    @inlinable
    public init<C: RandomAccessCollection>(_ bytes: C, baseOffset: Int = 0) throws where C.Element == UInt8, C.Index == Int {
        attributes = try Attribute.parse(bytes, baseOffset: baseOffset).attributes
    }

    @inlinable
    public init(attributes: [Attribute]) {
        self.attributes = attributes
    }

    /// The last attribute of `type`, if any.
    @inlinable
    public func first(_ type: UInt16) -> Attribute? {
        attributes.last { $0.type == type }
    }

    /// Every attribute of `type`, in order (for multi-attr attributes).
    @inlinable
    public func all(_ type: UInt16) -> [Attribute] {
        attributes.filter { $0.type == type }
    }

    /// Whether an attribute of `type` is present (for flags).
    @inlinable
    public func has(_ type: UInt16) -> Bool {
        attributes.contains { $0.type == type }
    }

    /// An integer attribute of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(_ type: UInt16, as: T.Type = T.self) throws -> T? {
        guard let attribute = first(type) else { return nil }
        return try attribute.integer(as: T.self)
    }

    /// A `uint` attribute: 4 or 8 bytes.
    @inlinable
    public func uint(_ type: UInt16) throws -> UInt64? {
        guard let attribute = first(type) else { return nil }
        switch attribute.payload.count {
        case 4: return UInt64(try attribute.integer(as: UInt32.self))
        case 8: return try attribute.integer(as: UInt64.self)
        default: throw ProtocolError("attribute \(type): uint of \(attribute.payload.count) bytes")
        }
    }

    /// A NUL-terminated string attribute.
    @inlinable
    public func string(_ type: UInt16) throws -> String? {
        guard let attribute = first(type) else { return nil }
        return try attribute.string()
    }

    /// The attributes nested in the attribute `type`.
    @inlinable
    public func nested(_ type: UInt16) throws -> AttributeDecoder? {
        guard let attribute = first(type) else { return nil }
        return AttributeDecoder(attributes: try attribute.children())
    }

    /// Each instance of a multi-attr nest, decoded.
    @inlinable
    public func nestedAll(_ type: UInt16) throws -> [AttributeDecoder] {
        try all(type).map { AttributeDecoder(attributes: try $0.children()) }
    }

    // Typed conveniences for the generated attribute enums.

    @inlinable
    public func integer<A: RawRepresentable, T: FixedWidthInteger>(_ a: A, as: T.Type = T.self) throws -> T? where A.RawValue == UInt16 {
        try integer(a.rawValue, as: T.self)
    }

    @inlinable
    public func string<A: RawRepresentable>(_ a: A) throws -> String? where A.RawValue == UInt16 {
        try string(a.rawValue)
    }

    @inlinable
    public func has<A: RawRepresentable>(_ a: A) -> Bool where A.RawValue == UInt16 {
        has(a.rawValue)
    }

    @inlinable
    public func nested<A: RawRepresentable>(_ a: A) throws -> AttributeDecoder? where A.RawValue == UInt16 {
        try nested(a.rawValue)
    }

    @inlinable
    public func nestedAll<A: RawRepresentable>(_ a: A) throws -> [AttributeDecoder] where A.RawValue == UInt16 {
        try nestedAll(a.rawValue)
    }

    @inlinable
    public func all<A: RawRepresentable>(_ a: A) -> [Attribute] where A.RawValue == UInt16 {
        all(a.rawValue)
    }
}

extension Attribute {
    /// The payload as an integer of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw ProtocolError("attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(payload.count)")
        }
        return payload.loadLE(T.self, at: 0)
    }

    /// The payload as a NUL-terminated UTF-8 string.
    @inlinable
    public func string() throws -> String {
        guard let nul = payload.firstIndex(of: 0) else {
            throw ProtocolError("attribute \(type): string without its NUL")
        }
        return String(decoding: payload[..<nul], as: UTF8.self)
    }
}
