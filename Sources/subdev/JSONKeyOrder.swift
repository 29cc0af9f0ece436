/// The order of an object's keys in JSON output: the order a person reads
/// handles in, stable from run to run.
///
/// - A run of digits compares as a number: `virtual/mtty2` before
///   `virtual/mtty10`, `pci/0000:6a:01.0/9` before `.../10`.
/// - Letters compare without regard to case.
/// - Other characters (`-`, `.`, `/`, `:`, ...) come before digits, and
///   digits before letters; bytes past ASCII come last.
/// - Keys equal by these rules (`a` and `A`, `01` and `1`) are ordered by
///   their bytes, so the order is total.
enum JSONKeyOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        let order = withBytes(a) { x in withBytes(b) { y in compare(x, y) } }
        return order != 0 ? order < 0 : a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Negative, zero or positive as `x` sorts before, with or after `y`.
    static func compare(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0, j = 0
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                let left = number(x, from: i), right = number(y, from: j)
                let order = compare(digits: left.digits, of: x, with: right.digits, of: y)
                if order != 0 { return order }
                i = left.end
                j = right.end
                continue
            }
            let left = rank(x[i]), right = rank(y[j])
            if left != right { return left - right }
            i += 1
            j += 1
        }
        return (x.count - i) - (y.count - j)
    }

    /// The significant digits of the run of digits at `start` (leading
    /// zeros skipped), and where the run ends.
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (digits: Range<Int>, end: Int) {
        var first = start
        while first < bytes.count - 1, bytes[first] == UInt8(ascii: "0"), isDigit(bytes[first + 1]) { first += 1 }
        var end = first
        while end < bytes.count, isDigit(bytes[end]) { end += 1 }
        return (first..<end, end)
    }

    /// Two runs of significant digits as numbers: the longer is larger,
    /// and runs of one length compare digit by digit.
    private static func compare(digits left: Range<Int>, of x: UnsafeBufferPointer<UInt8>,
                                with right: Range<Int>, of y: UnsafeBufferPointer<UInt8>) -> Int {
        if left.count != right.count { return left.count - right.count }
        for offset in 0..<left.count where x[left.lowerBound + offset] != y[right.lowerBound + offset] {
            return Int(x[left.lowerBound + offset]) - Int(y[right.lowerBound + offset])
        }
        return 0
    }

    /// Where a byte that is not part of a number sorts.
    private static func rank(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 0x200 + Int(byte)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 0x200 + Int(byte | 0x20)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 0x100 + Int(byte)
        case 0x80...: return 0x300 + Int(byte)
        default: return Int(byte)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func withBytes<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(string.utf8).withUnsafeBufferPointer(body)
    }
}
