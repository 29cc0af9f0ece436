/// Bytes being written for the wire, with room past their end that
/// writers store into in place.
///
/// `Array.append(contentsOf:)` costs about a hundred instructions however
/// few the bytes (callgrind): it is the general path for any sequence.
/// Attributes are mostly 8 to 16 bytes and a dump writes thirty of them
/// for each of a million subdevices, so the buffer keeps its own count
/// and grows by doubling; a write is a bounds check and a few stores.
///
/// A value type like the array it holds; not for sharing across threads
/// while one writes.
public struct WireBuffer: Sendable {
    /// The written bytes, then room: `storage.count` is the capacity.
    @usableFromInline var storage: [UInt8]
    /// How many bytes are written.
    @usableFromInline var end: Int

    /// An empty buffer with room for `capacity` bytes before it grows.
    @inlinable
    public init(capacity: Int = 0) {
        storage = capacity > 0 ? Self.zeroed(capacity) : []
        end = 0
    }

    /// A buffer that goes on from `bytes`.
    @inlinable
    public init(continuing bytes: [UInt8]) {
        storage = bytes
        end = bytes.count
    }

    /// How many bytes are written.
    @inlinable
    public var count: Int { end }

    /// The written bytes, as an array of exactly their size (a copy,
    /// unless the buffer is full). Cheaper than `removeSubrange`, which
    /// takes a few hundred instructions to cut the room off in place.
    @inlinable
    public var bytes: [UInt8] { end == storage.count ? storage : bytes(in: 0..<end) }

    /// The written bytes as a slice of the buffer's array: no copy, the
    /// room after them kept alive with it.
    var written: ArraySlice<UInt8> { storage[0..<end] }

    /// The bytes in `range`, as an array of their own.
    @inlinable
    func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= end, "reading past the written bytes")
        return storage.withUnsafeBytes { Array(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Takes the first `count` bytes out as an array; the rest move to
    /// the front, so the buffer and its room are used again: a dump sends
    /// datagram after datagram from one buffer.
    @inlinable
    public mutating func takePrefix(_ count: Int) -> [UInt8] {
        let taken = bytes(in: 0..<count)
        removePrefix(count)
        return taken
    }

    /// Reads an integer stored at `offset` (little-endian, as `store` writes it).
    @inlinable
    public func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= end, "loading past the written bytes")
        return storage.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Writes zeroes up to the netlink alignment (4 bytes), as a message
    /// or attribute ends. Stored, not assumed: the room may hold old bytes.
    @inlinable
    public mutating func padToAlignment() {
        let padding = alignTo4(end) - end
        guard padding > 0 else { return }
        write(padding) { bytes, start in
            for position in start..<start + padding { bytes[position] = 0 }
        }
    }

    /// Drops the first `count` bytes; the rest move to the front, the
    /// room kept: a pipeline sends a full datagram from where it lies and
    /// keeps the request that did not fit for the next.
    @inlinable
    public mutating func removePrefix(_ count: Int) {
        precondition(count >= 0 && count <= end, "removing \(count) bytes of a wire buffer of \(end)")
        let rest = end - count
        if rest > 0 {
            storage.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                base.copyMemory(from: base + count, byteCount: rest)  // memmove: may overlap
            }
        }
        end = rest
    }

    /// Calls `body` with the written bytes where they lie.
    @inlinable
    public func withWrittenBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
    }

    /// Forgets what was written from `count` on.
    @inlinable
    public mutating func truncate(to count: Int) {
        precondition(count >= 0 && count <= end, "truncating a wire buffer of \(end) bytes to \(count)")
        end = count
    }

    /// Writes `count` bytes that `write` stores, given the whole storage
    /// and where they start; `write` must store every one of them (the
    /// room may hold what was truncated).
    @inlinable @inline(__always)
    public mutating func write<R>(_ count: Int, _ write: (UnsafeMutableRawBufferPointer, Int) -> R) -> R {
        let start = end
        if storage.count - start < count { grow(toHold: count) }
        end = start + count
        return storage.withUnsafeMutableBytes { write($0, start) }
    }

    /// Appends bytes another writer made.
    @inlinable
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(raw: $0) }
    }

    /// Appends bytes another writer made, from where they lie.
    @inlinable
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { append(raw: $0) }
    }

    /// Appends an integer in host (little-endian) byte order.
    @inlinable
    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        write(MemoryLayout<T>.size) { $0.storeBytes(of: value.littleEndian, toByteOffset: $1, as: T.self) }
    }

    @inlinable
    mutating func append(raw source: UnsafeRawBufferPointer) {
        write(source.count) { buffer, start in
            UnsafeMutableRawBufferPointer(rebasing: buffer[start..<start + source.count]).copyMemory(from: source)
        }
    }

    /// Stores an integer in host (little-endian) byte order at `offset`,
    /// inside what is written: for lengths filled in once known.
    @inlinable
    public mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= end, "storing past the written bytes")
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    /// Makes room for `count` more bytes: at least double, so appends
    /// cost amortised constant time.
    @usableFromInline
    mutating func grow(toHold count: Int) {
        let capacity = max(end + count, 2 * storage.count, 256)
        var grown = Self.zeroed(capacity)
        grown.withUnsafeMutableBytes { target in
            storage.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: target[..<end]).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<end]))
            }
        }
        storage = grown
    }

    /// Zeroes that new buffers are copied from. Copying raw bytes into a
    /// new array costs about 200 instructions (callgrind); the array
    /// initialisers `Array(repeating:count:)` and
    /// `Array(unsafeUninitializedCapacity:)` reach a generic path in the
    /// runtime that looks up the storage's metadata, about 600.
    @usableFromInline static let zeroes = [UInt8](repeating: 0, count: 64 * 1024)

    /// An array of `count` zeroes.
    @inlinable
    static func zeroed(_ count: Int) -> [UInt8] {
        guard count <= zeroes.count else { return [UInt8](repeating: 0, count: count) }
        return zeroes.withUnsafeBytes { Array(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
