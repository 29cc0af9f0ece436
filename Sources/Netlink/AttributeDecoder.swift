/// Reads the attributes of a message or nest by type.
///
/// Accessors return `nil` when an attribute is absent and throw a
/// `ProtocolError` naming the attribute when it is present with the wrong
/// size, so a caller checks errors once with `try` around its decoding.
/// A repeated attribute that is not multi-attr reads as its last instance,
/// as the kernel's `nla_parse` does.
public struct AttributeDecoder: Sendable {
    /// Where the attributes are: already parsed (the model's validator
    /// hands them over so), or still the bytes they came in, which the
    /// accessors read in place. A client decodes a million subdevices of a
    /// dump through the second, without an array per attribute.
    @usableFromInline
    enum Storage: Sendable {
        case parsed([Attribute])
        /// The attribute area, its framing checked, and its offset from the
        /// start of the message.
        case area(ArraySlice<UInt8>, baseOffset: Int)
    }

    @usableFromInline
    let storage: Storage

    /// The attributes, in wire order.
    public var attributes: [Attribute] {
        switch storage {
        case .parsed(let attributes):
            return attributes
        case .area(let bytes, let baseOffset):
            // The framing was checked when the decoder was made.
            return (try? Attribute.parse(bytes, baseOffset: baseOffset).attributes) ?? []
        }
    }

    /// Decodes the attribute area `bytes` in place; offsets are counted
    /// from `baseOffset`.
    ///
    /// - Throws: `NetlinkError` (`EINVAL`) when an `nla_len` is below 4 or
    ///   runs past the area, as `Attribute.parse` does.
    @inlinable
    public init(_ bytes: ArraySlice<UInt8>, baseOffset: Int = 0) throws {
        try Self.checkFraming(bytes, baseOffset: baseOffset)
        storage = .area(bytes, baseOffset: baseOffset)
    }

    @inlinable
    public init(_ bytes: [UInt8], baseOffset: Int = 0) throws {
        try self.init(bytes[...], baseOffset: baseOffset)
    }

    @inlinable
    public init<C: RandomAccessCollection>(_ bytes: C, baseOffset: Int = 0) throws where C.Element == UInt8, C.Index == Int {
        try self.init(Array(bytes)[...], baseOffset: baseOffset)
    }

    @inlinable
    public init(attributes: [Attribute]) {
        storage = .parsed(attributes)
    }

    /// Walks the lengths once, so that lookups need not check them.
    @inlinable
    static func checkFraming(_ bytes: ArraySlice<UInt8>, baseOffset: Int) throws {
        var position = bytes.startIndex
        while bytes.endIndex - position >= Attribute.headerSize {
            let length = Int(UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8)
            guard length >= Attribute.headerSize, length <= bytes.endIndex - position else {
                throw Attribute.overrun(offset: baseOffset + (position - bytes.startIndex), length: length)
            }
            position += min(alignTo4(length), bytes.endIndex - position)
        }
    }

    /// One attribute as the decoder holds it: its payload in place (no
    /// copy) and the offset of its header from the start of the message.
    public struct Found: Sendable {
        public var payload: ArraySlice<UInt8>
        public var offset: Int
        @usableFromInline var rawType: UInt16

        @inlinable
        init(payload: ArraySlice<UInt8>, offset: Int, rawType: UInt16) {
            self.payload = payload
            self.offset = offset
            self.rawType = rawType
        }

        /// The type, without the flag bits.
        @inlinable
        public var type: UInt16 { rawType & ~(Attribute.nestedFlag | Attribute.netByteOrderFlag) }

        /// The payload as an integer of exactly `T`'s size.
        @inlinable
        public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
            try Attribute.integer(payload, type: type, as: T.self)
        }

        /// The payload as a NUL-terminated UTF-8 string.
        @inlinable
        public func string() throws -> String {
            try Attribute.string(payload, type: type)
        }

        /// The attributes nested in this one, read in place.
        @inlinable
        public func nested() throws -> AttributeDecoder {
            try AttributeDecoder(payload, baseOffset: offset + Attribute.headerSize)
        }
    }

    /// Calls `body` with every attribute in wire order, read in place: one
    /// pass for a decoder that reads most of an object's attributes, as
    /// bulk decoding of a dump does, instead of a search per attribute.
    @inlinable
    public func forEach(_ body: (Found) throws -> Void) rethrows {
        switch storage {
        case .parsed(let attributes):
            for attribute in attributes {
                try body(Found(payload: attribute.payload[...], offset: attribute.offset, rawType: attribute.rawType))
            }
        case .area(let bytes, let baseOffset):
            var position = bytes.startIndex
            while bytes.endIndex - position >= Attribute.headerSize {
                let length = Int(UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8)
                let rawType = UInt16(bytes[position + 2]) | UInt16(bytes[position + 3]) << 8
                try body(Found(payload: bytes[(position + Attribute.headerSize)..<(position + length)],
                               offset: baseOffset + (position - bytes.startIndex), rawType: rawType))
                position += min(alignTo4(length), bytes.endIndex - position)
            }
        }
    }

    /// Calls `body` with every attribute of `type` (flags masked off), in wire order.
    @inlinable
    func forEach(_ type: UInt16, _ body: (Found) throws -> Void) rethrows {
        try forEach { found in
            if found.type == type { try body(found) }
        }
    }

    /// The last attribute of `type`, in place.
    @inlinable
    func last(_ type: UInt16) -> Found? {
        var found: Found?
        forEach(type) { found = $0 }
        return found
    }

    /// The last attribute of `type`, if any.
    @inlinable
    public func first(_ type: UInt16) -> Attribute? {
        last(type).map(Attribute.init)
    }

    /// Every attribute of `type`, in order (for multi-attr attributes).
    @inlinable
    public func all(_ type: UInt16) -> [Attribute] {
        var found: [Attribute] = []
        forEach(type) { found.append(Attribute($0)) }
        return found
    }

    /// Whether an attribute of `type` is present (for flags).
    @inlinable
    public func has(_ type: UInt16) -> Bool {
        last(type) != nil
    }

    /// An integer attribute of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(_ type: UInt16, as: T.Type = T.self) throws -> T? {
        guard let found = last(type) else { return nil }
        return try Attribute.integer(found.payload, type: type, as: T.self)
    }

    /// A `uint` attribute: 4 or 8 bytes.
    @inlinable
    public func uint(_ type: UInt16) throws -> UInt64? {
        guard let found = last(type) else { return nil }
        switch found.payload.count {
        case 4: return UInt64(try Attribute.integer(found.payload, type: type, as: UInt32.self))
        case 8: return try Attribute.integer(found.payload, type: type, as: UInt64.self)
        default: throw ProtocolError("attribute \(type): uint of \(found.payload.count) bytes")
        }
    }

    /// A NUL-terminated string attribute.
    @inlinable
    public func string(_ type: UInt16) throws -> String? {
        guard let found = last(type) else { return nil }
        return try Attribute.string(found.payload, type: type)
    }

    /// The attributes nested in the attribute `type`, read in place.
    @inlinable
    public func nested(_ type: UInt16) throws -> AttributeDecoder? {
        try last(type)?.nested()
    }

    /// Each instance of a multi-attr nest, decoded in place.
    @inlinable
    public func nestedAll(_ type: UInt16) throws -> [AttributeDecoder] {
        var nests: [AttributeDecoder] = []
        try forEach(type) { nests.append(try $0.nested()) }
        return nests
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
    /// The flag bits as the sender set them, with the type.
    @inlinable
    var rawType: UInt16 {
        type | (nestedFlag ? Attribute.nestedFlag : 0) | (netByteOrderFlag ? Attribute.netByteOrderFlag : 0)
    }

    /// An attribute found in place, copied out.
    @inlinable
    init(_ found: AttributeDecoder.Found) {
        self.init(type: found.type,
                  nestedFlag: found.rawType & Attribute.nestedFlag != 0,
                  netByteOrderFlag: found.rawType & Attribute.netByteOrderFlag != 0,
                  payload: Array(found.payload), offset: found.offset)
    }

    /// The payload as an integer of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
        try Self.integer(payload[...], type: type, as: T.self)
    }

    /// The payload as a NUL-terminated UTF-8 string.
    @inlinable
    public func string() throws -> String {
        try Self.string(payload[...], type: type)
    }

    @inlinable
    static func integer<T: FixedWidthInteger>(_ payload: ArraySlice<UInt8>, type: UInt16, as: T.Type) throws -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw ProtocolError("attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(payload.count)")
        }
        return payload.loadLE(T.self, at: 0)
    }

    @inlinable
    static func string(_ payload: ArraySlice<UInt8>, type: UInt16) throws -> String {
        guard let nul = payload.firstIndex(of: 0) else {
            throw ProtocolError("attribute \(type): string without its NUL")
        }
        return String(decoding: payload[..<nul], as: UTF8.self)
    }
}
