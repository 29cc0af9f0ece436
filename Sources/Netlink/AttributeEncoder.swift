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
        payload.withUnsafeBytes { source in
            attribute(type, payload: source.count) { $0.copyMemory(from: source) }
        }
    }

    /// Appends a fixed-width integer attribute (`u8` … `u64`, `s8` … `s64`).
    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ type: UInt16, _ value: T) {
        attribute(type, payload: MemoryLayout<T>.size) {
            $0.storeBytes(of: value.littleEndian, toByteOffset: 0, as: T.self)
        }
    }

    /// Appends a NUL-terminated string attribute.
    @inlinable
    public mutating func put(_ type: UInt16, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            attribute(type, payload: utf8.count + 1) { payload in
                payload.copyMemory(from: UnsafeRawBufferPointer(utf8))
                payload[utf8.count] = 0
            }
        }
    }

    /// Appends a NUL-terminated string attribute whose value is `first`
    /// then `second`, without joining them first.
    @inlinable
    public mutating func put(_ type: UInt16, concatenating first: String, _ second: String) {
        var first = first, second = second
        first.withUTF8 { head in
            second.withUTF8 { tail in
                attribute(type, payload: head.count + tail.count + 1) { payload in
                    payload.copyMemory(from: UnsafeRawBufferPointer(head))
                    UnsafeMutableRawBufferPointer(rebasing: payload[head.count...]).copyMemory(from: UnsafeRawBufferPointer(tail))
                    payload[head.count + tail.count] = 0
                }
            }
        }
    }

    /// Appends attributes another encoder made.
    @inlinable
    public mutating func append(encoded attributes: [UInt8]) {
        storage.append(contentsOf: attributes)
    }

    /// Appends a flag attribute, which has no payload.
    @inlinable
    public mutating func putFlag(_ type: UInt16) {
        attribute(type, payload: 0) { _ in }
    }

    /// Appends a nest whose contents `body` encodes, in place: the nest's
    /// length is filled in once its contents are written.
    @inlinable
    public mutating func nest(_ type: UInt16, _ body: (inout AttributeEncoder) throws -> Void) rethrows {
        let start = storage.count
        attribute(type | Attribute.nestedFlag, payload: 0) { _ in }
        // The nest's encoder owns the buffer while it writes, so appends
        // stay in place rather than copying it.
        var inner = AttributeEncoder()
        swap(&storage, &inner.storage)
        defer {
            swap(&storage, &inner.storage)
            let length = UInt16(truncatingIfNeeded: storage.count - start)
            storage[start] = UInt8(truncatingIfNeeded: length)
            storage[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        }
        try body(&inner)
    }

    /// Appends one attribute: its header, a payload of `count` bytes that
    /// `write` fills, and zeroes to the next 4-byte boundary. One capacity
    /// check and one pass over the bytes, rather than an append per byte:
    /// a dump encodes a few dozen attributes for each of a million
    /// subdevices.
    @inlinable
    mutating func attribute(_ type: UInt16, payload count: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void) {
        let length = Attribute.headerSize + count
        let padded = alignTo4(length)
        // Made on the stack, then appended with one copy.
        withUnsafeTemporaryAllocation(byteCount: padded, alignment: 4) { attribute in
            attribute.storeBytes(of: UInt16(truncatingIfNeeded: length).littleEndian, toByteOffset: 0, as: UInt16.self)
            attribute.storeBytes(of: type.littleEndian, toByteOffset: 2, as: UInt16.self)
            write(UnsafeMutableRawBufferPointer(rebasing: attribute[Attribute.headerSize..<length]))
            // The padding, and so a string's NUL.
            for position in length..<padded { attribute[position] = 0 }
            storage.append(contentsOf: UnsafeBufferPointer(attribute.bindMemory(to: UInt8.self)))
        }
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
