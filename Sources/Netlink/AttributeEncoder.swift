/// Builds a run of netlink attributes: header, payload, padding.
///
/// Integers are written in host byte order, strings with their NUL, nests
/// with `NLA_F_NESTED` set as the kernel's strict validation demands.
/// Attributes are stored straight into a `WireBuffer`'s room.
public struct AttributeEncoder: Sendable {
    /// The attributes encoded so far.
    public var bytes: [UInt8] { buffer.bytes }
    /// How many bytes are encoded.
    public var count: Int { buffer.count }
    // Internal but inlinable, so encoding specialises in the caller's
    // module instead of going through generic metadata at run time.
    @usableFromInline var buffer: WireBuffer

    @inlinable
    public init() { buffer = WireBuffer() }

    /// An encoder with room for `capacity` bytes before it grows.
    @inlinable
    public init(capacity: Int) { buffer = WireBuffer(capacity: capacity) }

    /// Forgets the attributes encoded so far and keeps their room, to
    /// encode the next object into.
    @inlinable
    public mutating func removeAll() { buffer.truncate(to: 0) }

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
        // `withUTF8` measured cheaper than `withContiguousStorageIfAvailable`
        // or a byte loop over the UTF-8 view.
        var value = value
        value.withUTF8 { utf8 in
            attribute(type, payload: utf8.count + 1) { payload in
                payload.copyMemory(from: UnsafeRawBufferPointer(utf8))
                payload[utf8.count] = 0
            }
        }
    }

    /// Appends a NUL-terminated string attribute whose value is `prefix`
    /// then `value` in decimal, such as `/dev/vfio/devices/vfio12`,
    /// without making either string: a dump writes two for each subdevice.
    @inlinable
    public mutating func put<T: FixedWidthInteger & UnsignedInteger>(_ type: UInt16, _ prefix: String, decimal value: T) {
        // Read in place: `withUTF8` is mutating, and a copy to call it on
        // cost a retain and a release per path.
        let written: Void? = prefix.utf8.withContiguousStorageIfAvailable { head in put(type, UnsafeRawBufferPointer(head), decimal: value) }
        if written == nil { put(type, prefix + String(value)) }
    }

    /// The same with the prefix's UTF-8 bytes where they lie.
    @inlinable
    public mutating func put<T: FixedWidthInteger & UnsignedInteger>(_ type: UInt16, _ head: UnsafeRawBufferPointer, decimal value: T) {
        let digits = Self.decimalDigits(value)
        attribute(type, payload: head.count + digits + 1) { payload in
            payload.copyMemory(from: head)
            Self.storeDecimal(value, digits: digits, at: head.count, in: payload)
            payload[head.count + digits] = 0
        }
    }

    /// How many decimal digits `value` has.
    @inlinable
    public static func decimalDigits<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    /// Stores the last `digits` decimal digits of `value` in ASCII at
    /// `offset`: a path's number, written in place.
    @inlinable
    public static func storeDecimal<T: FixedWidthInteger & UnsignedInteger>(_ value: T, digits: Int, at offset: Int,
                                                                           in bytes: UnsafeMutableRawBufferPointer) {
        // Last digit first. A plain loop: `reversed()` over a range went
        // through the generic, unspecialised path.
        var rest = value
        var position = offset + digits
        while position > offset {
            position -= 1
            bytes[position] = UInt8(truncatingIfNeeded: rest % 10) + UInt8(ascii: "0")
            rest /= 10
        }
    }

    /// Appends attributes another encoder made.
    @inlinable
    public mutating func append(encoded attributes: [UInt8]) {
        buffer.append(attributes)
    }

    /// Appends attributes another encoder made, from where they lie.
    @inlinable
    public mutating func append(encoded attributes: UnsafeRawBufferPointer) {
        buffer.append(raw: attributes)
    }

    /// Appends attributes another encoder made, then lets `patch` change
    /// them where they now lie: for a copy that differs from its original
    /// only in fixed-width values.
    @inlinable
    public mutating func append(encoded attributes: [UInt8], patching patch: (UnsafeMutableRawBufferPointer) -> Void) {
        attributes.withUnsafeBytes { source in
            buffer.write(source.count) { bytes, start in
                let copy = UnsafeMutableRawBufferPointer(rebasing: bytes[start..<start + source.count])
                copy.copyMemory(from: source)
                patch(copy)
            }
        }
    }

    /// The attributes encoded from `offset` on, as an array of their own.
    @inlinable
    public func encoded(from offset: Int) -> [UInt8] {
        buffer.bytes(in: offset..<buffer.count)
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
        let start = buffer.count
        attribute(type | Attribute.nestedFlag, payload: 0) { _ in }
        defer { buffer.store(UInt16(truncatingIfNeeded: buffer.count - start), at: start) }
        try body(&self)
    }

    /// Appends one attribute: its header, a payload of `count` bytes that
    /// `write` fills, and zeroes to the next 4-byte boundary, stored in
    /// place in one pass. Always inlined, so each `put` stores its payload
    /// directly instead of calling through a closure (about a third of
    /// an attribute's cost).
    @inlinable @inline(__always)
    mutating func attribute(_ type: UInt16, payload count: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void) {
        let length = Attribute.headerSize + count
        buffer.write(alignTo4(length)) { bytes, start in
            bytes.storeBytes(of: UInt16(truncatingIfNeeded: length).littleEndian, toByteOffset: start, as: UInt16.self)
            bytes.storeBytes(of: type.littleEndian, toByteOffset: start + 2, as: UInt16.self)
            write(UnsafeMutableRawBufferPointer(rebasing: bytes[start + Attribute.headerSize..<start + length]))
            // The padding, and so a string's NUL; the room may hold old bytes.
            for position in start + length..<start + alignTo4(length) { bytes[position] = 0 }
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
