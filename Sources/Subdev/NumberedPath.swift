/// A path kept as a stem and the decimal number that ends it: the model
/// names a device node `…/vfio` N and a subdevice's sysfs directory
/// `…/subdev.` N, so in a dump or a batch subdevices share the stem and
/// each keeps only its number. Decoding such a path makes no string and
/// keeps 5 bytes of its own, where a `String` for the last component was
/// 16 bytes and about 200 instructions to make.
///
/// The split is canonical, so equal paths have equal parts and the
/// synthesized `==` and hash are those of the whole path: the number is
/// the path's trailing ASCII digits without leading zeros (which stay in
/// the stem; a run of zeros leaves its last as the number 0), and `nil`
/// when there are no digits or more than fit in nine.
struct NumberedPath: Sendable, Hashable {
    /// The path up to its number; the whole path when it has none.
    private(set) var stem: String
    private(set) var number: UInt32?

    init(stem: String, number: UInt32?) {
        self.stem = stem
        self.number = number
    }

    init(_ path: String) {
        var utf8 = Array(path.utf8)
        let (split, number) = utf8.withUnsafeBytes(Self.split)
        utf8.removeSubrange(split...)
        self.init(stem: number == nil ? path : String(decoding: utf8, as: UTF8.self), number: number)
    }

    /// Where the number of the path whose UTF-8 is `bytes` starts, and
    /// the number; `(bytes.count, nil)` when it has none. Digits are
    /// ASCII, never part of a multi-byte sequence, so the bytes before
    /// them decode as they would within the whole.
    static func split(_ bytes: UnsafeRawBufferPointer) -> (stemCount: Int, number: UInt32?) {
        var start = bytes.count
        while start > 0, bytes[start - 1] &- UInt8(ascii: "0") < 10 { start -= 1 }
        // Leading zeros belong to the stem; the last digit stays a number.
        while start < bytes.count - 1, bytes[start] == UInt8(ascii: "0") { start += 1 }
        let digits = bytes.count - start
        guard digits > 0, digits <= 9 else { return (bytes.count, nil) }
        var value: UInt32 = 0
        for position in start..<bytes.count { value = value * 10 + UInt32(bytes[position] &- UInt8(ascii: "0")) }
        return (start, value)
    }

    var path: String {
        guard let number else { return stem }
        return stem + String(number)
    }
}
