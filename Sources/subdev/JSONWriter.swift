/// JSON text of the trees the commands build (`JSONValue`), keys in
/// `JSONKeyOrder`.
///
/// Written here rather than with Foundation's `JSONSerialization`, which
/// sorts keys with a locale-aware string comparison and casts every value
/// through the runtime: `subdev -j dev show` of 100 000 subdevices took
/// 50 s with it, against under a second as text.
///
/// Compact output has no spaces (`{"a":1,"b":[2]}`); pretty output indents
/// by two spaces and writes `"key" : value`, one member per line, with
/// empty containers as `{}` and `[]`. Strings are escaped as RFC 8259
/// requires (quote, backslash, control characters) and nothing more:
/// slashes and non-ASCII text are written as they are. Where an object has
/// a key more than once, the value added last is written, once.
struct JSONWriter {
    let pretty: Bool
    /// The text written so far and not yet handed to `sink`, UTF-8.
    private(set) var bytes: [UInt8] = []
    /// Where text goes once `bytes` holds `chunk` bytes or more, between
    /// members; nil keeps it all in `bytes`.
    private let sink: ((borrowing [UInt8]) -> Void)?
    private let chunk: Int

    /// A writer that keeps all its text in `bytes`.
    init(pretty: Bool) {
        self.pretty = pretty
        sink = nil
        chunk = .max
    }

    /// A writer that hands its text to `sink` in pieces of about `chunk`
    /// bytes, so a listing of a hundred thousand objects is not held whole;
    /// call `finish()` for the rest.
    init(pretty: Bool, chunk: Int = 1 << 16, sink: @escaping (borrowing [UInt8]) -> Void) {
        self.pretty = pretty
        self.sink = sink
        self.chunk = chunk
        bytes.reserveCapacity(chunk + chunk / 4)
    }

    /// The JSON text of `value`, without a trailing newline.
    static func text(_ value: JSONValue, pretty: Bool) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.write(value, depth: 0)
        return writer.bytes
    }

    /// Hands what is left to the sink, with a newline after it when asked.
    mutating func finish(withNewline newline: Bool = false) {
        if newline { bytes.append(UInt8(ascii: "\n")) }
        if !bytes.isEmpty { handOver() }
    }

    /// Appends `value`, nested `depth` containers deep.
    mutating func write(_ value: JSONValue, depth: Int) {
        switch value {
        case .string(let string): write(string: string)
        case .unsigned(let number): write(unsigned: number)
        case .signed(let number):
            if number < 0 { bytes.append(UInt8(ascii: "-")) }
            write(unsigned: number.magnitude)
        case .bool(let flag): append(flag ? "true" : "false")
        case .null: append("null")
        case .object(let object): write(object: object, depth: depth)
        case .array(let array): write(array: array, depth: depth)
        }
    }

    private mutating func write(object: JSONObject, depth: Int) {
        let members = object.members
        write(objectOf: members.count, key: { members[$0].key }, depth: depth) { writer, position, depth in
            writer.write(members[position].value, depth: depth)
        }
    }

    /// Appends an object of `count` members, nested `depth` containers
    /// deep: the key at each position is `key(position)`, and `value`
    /// writes that member's value, at the depth it is given, when its turn
    /// comes. So a listing need not make the values of all its members
    /// first (`Output.printListing`).
    mutating func write(objectOf count: Int, key: (Int) -> String, depth: Int,
                        value: (inout JSONWriter, _ position: Int, _ depth: Int) -> Void) {
        guard count > 0 else { return append("{}") }
        bytes.append(UInt8(ascii: "{"))
        var first = true
        func member(_ position: Int) {
            separate(first: first, depth: depth + 1)
            first = false
            write(string: key(position))
            append(pretty ? " : " : ":")
            value(&self, position, depth + 1)
            if bytes.count >= chunk { handOver() }
        }
        // Most objects are built in order already (a listing comes in the
        // order its handles sort in): one pass over the keys shows it.
        if (0..<count - 1).allSatisfy({ JSONKeyOrder.precedes(key($0), key($0 + 1)) }) {
            (0..<count).forEach(member)
        } else {
            let keys = (0..<count).map(key)
            let sorted = keys.indices.sorted {
                JSONKeyOrder.precedes(keys[$0], keys[$1]) || (keys[$0] == keys[$1] && $0 < $1)
            }
            for (rank, position) in sorted.enumerated()
            where rank == sorted.count - 1 || keys[sorted[rank + 1]] != keys[position] {
                member(position)
            }
        }
        close(depth: depth)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(array: [JSONValue], depth: Int) {
        guard !array.isEmpty else { return append("[]") }
        bytes.append(UInt8(ascii: "["))
        for (position, element) in array.enumerated() {
            separate(first: position == 0, depth: depth + 1)
            write(element, depth: depth + 1)
            if bytes.count >= chunk { handOver() }
        }
        close(depth: depth)
        bytes.append(UInt8(ascii: "]"))
    }

    /// Gives the text to the sink, if there is one.
    private mutating func handOver() {
        guard let sink else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// A comma before every member but the first; in pretty output, a new
    /// line and the member's indent.
    private mutating func separate(first: Bool, depth: Int) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        if pretty { newline(depth: depth) }
    }

    private mutating func close(depth: Int) {
        if pretty { newline(depth: depth) }
    }

    private mutating func newline(depth: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    /// Decimal digits, without making a `String` of them.
    private mutating func write(unsigned number: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes; UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = number, start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest != 0
            bytes.append(contentsOf: buffer[start...])
        }
    }

    private mutating func write(string: String) {
        var string = string
        string.withUTF8 { write(utf8: $0) }
    }

    private mutating func write(utf8 string: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        if !string.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: string)
            return bytes.append(UInt8(ascii: "\""))
        }
        for byte in string {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
