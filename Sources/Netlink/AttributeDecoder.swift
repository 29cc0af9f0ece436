#if canImport(Glibc)
import Glibc
#endif

/// Reads the attributes of a message or nest by type.
///
/// Accessors return `nil` when an attribute is absent and throw a
/// `ProtocolError` naming the attribute when it is present with the wrong
/// size, so a caller checks errors once with `try` around its decoding.
/// A repeated attribute that is not multi-attr reads as its last instance,
/// as the kernel's `nla_parse` does.
public struct AttributeDecoder: @unchecked Sendable {
    /// Where the attributes are: already parsed (the model's validator
    /// hands them over so), the bytes they came in, which the accessors
    /// read in place, or a nest of such bytes borrowed for the duration of
    /// a `forEach` body. A client decodes a million subdevices of a dump
    /// through the last two, without an array or a reference count per
    /// attribute.
    @usableFromInline
    enum Storage {
        case parsed([Attribute])
        /// The attribute area, its framing checked, and its offset from the
        /// start of the message.
        case area(ArraySlice<UInt8>, baseOffset: Int)
        /// Like `area`, but memory another decoder owns: made only by
        /// `Found.nested()`, and valid only while that `Found` is.
        case view(UnsafeRawBufferPointer, baseOffset: Int)
    }

    // Sendable by hand: `view` holds a pointer, but a view decoder lives
    // only inside the `forEach` body that made it, on that body's thread.
    @usableFromInline
    let storage: Storage
    /// Where the last attribute of each type starts in an `area`, by type,
    /// -1 for none: the kernel's `tb[]` from `nla_parse`. The validator
    /// fills it in the walk it makes anyway, so that each of a handler's
    /// lookups is an index, not another walk of the request. Empty for
    /// every other decoder: not an optional, whose destroy went through
    /// the generic run-time witness, about 300 instructions per request.
    @usableFromInline
    let lastByType: [Int32]

    /// The attributes, in wire order.
    public var attributes: [Attribute] {
        switch storage {
        case .parsed(let attributes):
            return attributes
        case .area(let bytes, let baseOffset):
            // The framing was checked when the decoder was made.
            return (try? Attribute.parse(bytes, baseOffset: baseOffset).attributes) ?? []
        case .view(let raw, let baseOffset):
            return (try? Attribute.parse(Array(raw)[...], baseOffset: baseOffset).attributes) ?? []
        }
    }

    /// Decodes the attribute area `bytes` in place; offsets are counted
    /// from `baseOffset`.
    ///
    /// - Throws: `NetlinkError` (`EINVAL`) when an `nla_len` is below 4 or
    ///   runs past the area, as `Attribute.parse` does.
    @inlinable
    public init(_ bytes: ArraySlice<UInt8>, baseOffset: Int = 0) throws {
        _ = try bytes.withUnsafeBytes { try Self.checkFraming($0, baseOffset: baseOffset) }
        storage = .area(bytes, baseOffset: baseOffset)
        lastByType = []
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
        lastByType = []
    }

    /// A decoder over borrowed bytes whose framing the caller checked.
    @inlinable
    init(view raw: UnsafeRawBufferPointer, baseOffset: Int) {
        storage = .view(raw, baseOffset: baseOffset)
        lastByType = []
    }

    /// Walks the lengths once, so that lookups need not check them.
    ///
    /// - Returns: how many bytes are left over after the last attribute,
    ///   too few for a header (strict validation rejects them).
    @inlinable
    @discardableResult
    static func checkFraming(_ raw: UnsafeRawBufferPointer, baseOffset: Int) throws -> Int {
        var position = 0
        while raw.count - position >= Attribute.headerSize {
            let length = Int(raw.loadLE(UInt16.self, at: position))
            guard length >= Attribute.headerSize, length <= raw.count - position else {
                throw Attribute.overrun(offset: baseOffset + position, length: length)
            }
            position += min(alignTo4(length), raw.count - position)
        }
        return raw.count - position
    }

    /// One attribute as the decoder holds it: its payload in place (no
    /// copy, no reference count) and the offset of its header from the
    /// start of the message.
    ///
    /// A `Found` borrows the decoder's bytes: it, and any decoder its
    /// `nested()` makes, is valid only inside the `forEach` body it was
    /// handed to, as a pointer from `withUnsafeBytes` is. Copy out what
    /// must outlive the body (`integer()`, `string()`, `bytes`).
    public struct Found {
        /// The payload, borrowed.
        @usableFromInline var raw: UnsafeRawBufferPointer
        public var offset: Int
        @usableFromInline var rawType: UInt16

        @inlinable
        init(raw: UnsafeRawBufferPointer, offset: Int, rawType: UInt16) {
            self.raw = raw
            self.offset = offset
            self.rawType = rawType
        }

        /// The type, without the flag bits.
        @inlinable
        public var type: UInt16 { rawType & ~(Attribute.nestedFlag | Attribute.netByteOrderFlag) }

        /// The payload, copied.
        @inlinable
        public var bytes: [UInt8] { Array(raw) }

        /// The payload, borrowed: valid only as long as this `Found` is,
        /// inside the body it was handed to.
        @inlinable
        public var payload: UnsafeRawBufferPointer { raw }

        /// The payload as an integer of exactly `T`'s size.
        @inlinable
        public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
            try Attribute.integer(raw, type: type, as: T.self)
        }

        /// The bytes of a NUL-terminated string payload before its NUL,
        /// borrowed as `payload` is.
        @inlinable
        public func stringBytes() throws -> UnsafeRawBufferPointer {
            try Attribute.stringBytes(raw, type: type)
        }

        /// The payload as a NUL-terminated UTF-8 string.
        @inlinable
        public func string() throws -> String {
            try Attribute.string(raw, type: type)
        }

        /// The attributes nested in this one, read in place. Valid only
        /// as long as this `Found` is: inside the body it was handed to.
        @inlinable
        public func nested() throws -> AttributeDecoder {
            try AttributeDecoder.checkFraming(raw, baseOffset: offset + Attribute.headerSize)
            return AttributeDecoder(view: raw, baseOffset: offset + Attribute.headerSize)
        }
    }

    /// Calls `body` with the attribute area where it lies, and its offset
    /// from the start of the message; `nil` for a decoder made of parsed
    /// attributes, which has no area.
    @inlinable
    public func withUnsafeArea<R>(_ body: (UnsafeRawBufferPointer, Int) throws -> R) rethrows -> R? {
        switch storage {
        case .parsed: return nil
        case .area(let bytes, let baseOffset): return try bytes.withUnsafeBytes { try body($0, baseOffset) }
        case .view(let raw, let baseOffset): return try body(raw, baseOffset)
        }
    }

    /// Calls `body` with every attribute in wire order, read in place: one
    /// pass for a decoder that reads most of an object's attributes, as
    /// bulk decoding of a dump does, instead of a search per attribute.
    /// Each `Found` is valid only during its call of `body`.
    @inlinable
    public func forEach(_ body: (Found) throws -> Void) rethrows {
        switch storage {
        case .parsed(let attributes):
            for attribute in attributes {
                try attribute.payload.withUnsafeBytes { raw in
                    try body(Found(raw: raw, offset: attribute.offset, rawType: attribute.rawType))
                }
            }
        case .area(let bytes, let baseOffset):
            try bytes.withUnsafeBytes { raw in try Self.walk(raw, baseOffset: baseOffset, body) }
        case .view(let raw, let baseOffset):
            try Self.walk(raw, baseOffset: baseOffset, body)
        }
    }

    /// The attributes of `raw`, whose framing was checked, one by one.
    @inlinable
    static func walk(_ raw: UnsafeRawBufferPointer, baseOffset: Int, _ body: (Found) throws -> Void) rethrows {
        var position = 0
        while raw.count - position >= Attribute.headerSize {
            let found = Self.found(at: position, in: raw, baseOffset: baseOffset)
            try body(found)
            position += min(alignTo4(found.raw.count + Attribute.headerSize), raw.count - position)
        }
    }

    /// The attribute that starts `position` bytes into `raw`, whose framing was checked.
    @inlinable
    static func found(at position: Int, in raw: UnsafeRawBufferPointer, baseOffset: Int) -> Found {
        let length = Int(raw.loadLE(UInt16.self, at: position))
        let payload = UnsafeRawBufferPointer(rebasing: raw[(position + Attribute.headerSize)..<(position + length)])
        return Found(raw: payload, offset: baseOffset + position, rawType: raw.loadLE(UInt16.self, at: position + 2))
    }

    /// Calls `body` with every attribute of `type` (flags masked off), in wire order.
    @inlinable
    func forEach(_ type: UInt16, _ body: (Found) throws -> Void) rethrows {
        try forEach { found in
            if found.type == type { try body(found) }
        }
    }

    /// What `read` makes of the last attribute of `type`; `nil` when there
    /// is none. Only the last instance is read, as the kernel's `nla_parse`
    /// keeps the last.
    @inlinable
    func readLast<T>(_ type: UInt16, _ read: (Found) throws -> T) throws -> T? {
        switch storage {
        case .parsed(let attributes):
            guard let attribute = attributes.last(where: { $0.type == type }) else { return nil }
            return try attribute.payload.withUnsafeBytes { raw in
                try read(Found(raw: raw, offset: attribute.offset, rawType: attribute.rawType))
            }
        case .area(let bytes, let baseOffset):
            if !lastByType.isEmpty {
                let table = lastByType
                guard Int(type) < table.count, table[Int(type)] >= 0 else { return nil }
                return try bytes.withUnsafeBytes { raw in
                    try read(Self.found(at: Int(table[Int(type)]), in: raw, baseOffset: baseOffset))
                }
            }
            return try bytes.withUnsafeBytes { raw in try Self.readLast(type, in: raw, baseOffset: baseOffset, read) }
        case .view(let raw, let baseOffset):
            return try Self.readLast(type, in: raw, baseOffset: baseOffset, read)
        }
    }

    /// `readLast` within one borrow of the bytes, in one pass.
    @inlinable
    static func readLast<T>(_ type: UInt16, in raw: UnsafeRawBufferPointer, baseOffset: Int,
                            _ read: (Found) throws -> T) throws -> T? {
        var last: Found?
        walk(raw, baseOffset: baseOffset) { found in
            if found.type == type { last = found }
        }
        return try last.map(read)
    }

    /// The decoder for the payload of a nest `found` of this decoder's
    /// bytes (not of parsed attributes), owning them when this one does.
    @inlinable
    func decoder(for found: Found) throws -> AttributeDecoder {
        let baseOffset = found.offset + Attribute.headerSize
        try Self.checkFraming(found.raw, baseOffset: baseOffset)
        switch storage {
        case .area(let bytes, let areaOffset):
            let start = bytes.startIndex + (baseOffset - areaOffset)
            return AttributeDecoder(checked: bytes[start..<(start + found.raw.count)], baseOffset: baseOffset)
        case .view:
            return AttributeDecoder(view: found.raw, baseOffset: baseOffset)
        case .parsed:
            // The callers take parsed attributes' nests from the attributes;
            // were one to come here, its bytes are copied, not borrowed.
            return AttributeDecoder(checked: Array(found.raw)[...], baseOffset: baseOffset)
        }
    }

    /// A decoder over bytes whose framing the caller checked.
    @inlinable
    init(checked bytes: ArraySlice<UInt8>, baseOffset: Int, lastByType: [Int32] = []) {
        storage = .area(bytes, baseOffset: baseOffset)
        self.lastByType = lastByType
    }

    /// The last attribute of `type`, if any.
    @inlinable
    public func first(_ type: UInt16) -> Attribute? {
        (try? readLast(type, Attribute.init)) ?? nil
    }

    /// The offset of the last attribute of `type` from the start of the
    /// message, for an extack that points at it; nothing is copied.
    @inlinable
    public func offset(of type: UInt16) -> Int? {
        (try? readLast(type) { $0.offset }) ?? nil
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
        var present = false
        forEach(type) { _ in present = true }
        return present
    }

    /// An integer attribute of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(_ type: UInt16, as: T.Type = T.self) throws -> T? {
        try readLast(type) { try $0.integer(as: T.self) }
    }

    /// A `uint` attribute: 4 or 8 bytes.
    @inlinable
    public func uint(_ type: UInt16) throws -> UInt64? {
        try readLast(type) { found in
            switch found.raw.count {
            case 4: return UInt64(try found.integer(as: UInt32.self))
            case 8: return try found.integer(as: UInt64.self)
            default: throw ProtocolError("attribute \(type): uint of \(found.raw.count) bytes")
            }
        }
    }

    /// A NUL-terminated string attribute.
    @inlinable
    public func string(_ type: UInt16) throws -> String? {
        try readLast(type) { try $0.string() }
    }

    /// Lends `body` the bytes of string attribute `type` before its NUL,
    /// without making a `String`, for a lookup that only hashes and
    /// compares them; `nil` when the attribute is absent.
    @inlinable
    public func withStringBytes<Result>(_ type: UInt16, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result? {
        try readLast(type) { found in try body(try found.stringBytes()) }
    }

    /// The attributes nested in the attribute `type`, read in place; the
    /// decoder shares this one's bytes, and lives as long as it does.
    @inlinable
    public func nested(_ type: UInt16) throws -> AttributeDecoder? {
        if case .parsed(let attributes) = storage {
            guard let nest = attributes.last(where: { $0.type == type }) else { return nil }
            return try AttributeDecoder(nest.payload, baseOffset: nest.offset + Attribute.headerSize)
        }
        return try readLast(type, decoder(for:))
    }

    /// Each instance of a multi-attr nest, decoded in place.
    @inlinable
    public func nestedAll(_ type: UInt16) throws -> [AttributeDecoder] {
        if case .parsed(let attributes) = storage {
            return try attributes.filter { $0.type == type }.map {
                try AttributeDecoder($0.payload, baseOffset: $0.offset + Attribute.headerSize)
            }
        }
        var nests: [AttributeDecoder] = []
        try forEach(type) { nests.append(try decoder(for: $0)) }
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
                  payload: found.bytes, offset: found.offset)
    }

    /// The payload as an integer of exactly `T`'s size.
    @inlinable
    public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
        try payload.withUnsafeBytes { try Self.integer($0, type: type, as: T.self) }
    }

    /// The payload as a NUL-terminated UTF-8 string.
    @inlinable
    public func string() throws -> String {
        try payload.withUnsafeBytes { try Self.string($0, type: type) }
    }

    @inlinable
    static func integer<T: FixedWidthInteger>(_ payload: UnsafeRawBufferPointer, type: UInt16, as: T.Type) throws -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw ProtocolError("attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(payload.count)")
        }
        return payload.loadLE(T.self, at: 0)
    }

    @inlinable
    static func string(_ payload: UnsafeRawBufferPointer, type: UInt16) throws -> String {
        String(decoding: try stringBytes(payload, type: type), as: UTF8.self)
    }

    /// A string payload's bytes before its NUL.
    @inlinable
    static func stringBytes(_ payload: UnsafeRawBufferPointer, type: UInt16) throws -> UnsafeRawBufferPointer {
        // memchr rather than a generic search: a dump decodes millions.
        guard let base = payload.baseAddress, let nul = memchr(base, 0, payload.count) else {
            throw ProtocolError("attribute \(type): string without its NUL")
        }
        return UnsafeRawBufferPointer(start: base, count: base.distance(to: UnsafeRawPointer(nul)))
    }
}

extension UnsafeRawBufferPointer {
    /// Reads an integer at `offset`; the caller has checked the bounds.
    @inlinable
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
