/// Builds a run of netlink attributes: header, payload, padding.
///
/// Integers are written in host byte order, strings with their NUL, nests
/// with `NLA_F_NESTED` set as the kernel's strict validation demands.
public struct AttributeEncoder: Sendable {
    /// The attributes encoded so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends an attribute with a raw payload.
    public mutating func put(_ type: UInt16, bytes payload: [UInt8]) {
        bytes.appendLE(UInt16(Attribute.headerSize + payload.count))
        bytes.appendLE(type)
        bytes.append(contentsOf: payload)
        bytes.padToAlignment()
    }

    /// Appends a fixed-width integer attribute (`u8` … `u64`, `s8` … `s64`).
    public mutating func put<T: FixedWidthInteger>(_ type: UInt16, _ value: T) {
        var payload: [UInt8] = []
        payload.appendLE(value)
        put(type, bytes: payload)
    }

    /// Appends a NUL-terminated string attribute.
    public mutating func put(_ type: UInt16, _ value: String) {
        put(type, bytes: Array(value.utf8) + [0])
    }

    /// Appends a flag attribute, which has no payload.
    public mutating func putFlag(_ type: UInt16) {
        put(type, bytes: [])
    }

    /// Appends a nest whose contents `body` encodes.
    public mutating func nest(_ type: UInt16, _ body: (inout AttributeEncoder) throws -> Void) rethrows {
        var inner = AttributeEncoder()
        try body(&inner)
        put(type | Attribute.nestedFlag, bytes: inner.bytes)
    }

    // Typed conveniences for the generated attribute enums.

    public mutating func put<A: RawRepresentable, T: FixedWidthInteger>(_ attribute: A, _ value: T) where A.RawValue == UInt16 {
        put(attribute.rawValue, value)
    }

    public mutating func put<A: RawRepresentable>(_ attribute: A, _ value: String) where A.RawValue == UInt16 {
        put(attribute.rawValue, value)
    }

    public mutating func putFlag<A: RawRepresentable>(_ attribute: A) where A.RawValue == UInt16 {
        putFlag(attribute.rawValue)
    }

    public mutating func nest<A: RawRepresentable>(_ attribute: A, _ body: (inout AttributeEncoder) throws -> Void) rethrows where A.RawValue == UInt16 {
        try nest(attribute.rawValue, body)
    }
}
