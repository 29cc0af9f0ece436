/// Builds a run of netlink attributes: header, payload, padding.
///
/// Integers are written in host byte order, strings with their NUL, nests
/// with `NLA_F_NESTED` set as the kernel's strict validation demands.
public struct AttributeEncoder: Sendable {
    /// The attributes encoded so far.
    public var bytes: [UInt8] { storage }
    // Internal but inlinable, so encoding specialises in the caller's
    // module instead of going through generic metadata at run time.
    @usableFromInline var storage: [UInt8] = []

    @inlinable
    public init() {}

    /// An encoder with room for `capacity` bytes before it grows.
    @inlinable
    public init(capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// Appends an attribute with a raw payload.
    @inlinable
    public mutating func put(_ type: UInt16, bytes payload: [UInt8]) {
        header(type, payload: payload.count)
        storage.append(contentsOf: payload)
        storage.padToAlignment()
    }

    /// Appends a fixed-width integer attribute (`u8` … `u64`, `s8` … `s64`).
    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ type: UInt16, _ value: T) {
        header(type, payload: MemoryLayout<T>.size)
        storage.appendLE(value)
        storage.padToAlignment()
    }

    /// Appends a NUL-terminated string attribute.
    @inlinable
    public mutating func put(_ type: UInt16, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            header(type, payload: utf8.count + 1)
            storage.append(contentsOf: utf8)
        }
        storage.append(0)
        storage.padToAlignment()
    }

    /// Appends a NUL-terminated string attribute whose value is `first`
    /// then `second`, without joining them first.
    @inlinable
    public mutating func put(_ type: UInt16, concatenating first: String, _ second: String) {
        header(type, payload: first.utf8.count + second.utf8.count + 1)
        storage.append(contentsOf: first.utf8)
        storage.append(contentsOf: second.utf8)
        storage.append(0)
        storage.padToAlignment()
    }

    /// Appends attributes another encoder made.
    @inlinable
    public mutating func append(encoded attributes: [UInt8]) {
        storage.append(contentsOf: attributes)
    }

    /// Appends a flag attribute, which has no payload.
    @inlinable
    public mutating func putFlag(_ type: UInt16) {
        header(type, payload: 0)
    }

    /// Appends a nest whose contents `body` encodes, in place: the nest's
    /// length is filled in once its contents are written.
    @inlinable
    public mutating func nest(_ type: UInt16, _ body: (inout AttributeEncoder) throws -> Void) rethrows {
        let start = storage.count
        header(type | Attribute.nestedFlag, payload: 0)
        // The nest's encoder owns the buffer while it writes, so appends
        // stay in place rather than copying it.
        var inner = AttributeEncoder()
        swap(&storage, &inner.storage)
        defer {
            swap(&storage, &inner.storage)
            let length = UInt16(storage.count - start)
            storage[start] = UInt8(truncatingIfNeeded: length)
            storage[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        }
        try body(&inner)
    }

    @inlinable
    mutating func header(_ type: UInt16, payload: Int) {
        storage.appendLE(UInt16(Attribute.headerSize + payload))
        storage.appendLE(type)
    }

    // Typed conveniences for the generated attribute enums.

    @inlinable
    public mutating func put<A: RawRepresentable, T: FixedWidthInteger>(_ attribute: A, _ value: T) where A.RawValue == UInt16 {
        put(attribute.rawValue, value)
    }

    @inlinable
    public mutating func put<A: RawRepresentable>(_ attribute: A, _ value: String) where A.RawValue == UInt16 {
        put(attribute.rawValue, value)
    }

    @inlinable
    public mutating func putFlag<A: RawRepresentable>(_ attribute: A) where A.RawValue == UInt16 {
        putFlag(attribute.rawValue)
    }

    @inlinable
    public mutating func nest<A: RawRepresentable>(_ attribute: A, _ body: (inout AttributeEncoder) throws -> Void) rethrows where A.RawValue == UInt16 {
        try nest(attribute.rawValue, body)
    }
}
