/// JSON text of the trees the commands build (`[String: Any]`, arrays,
/// strings, integers, booleans), keys in `JSONKeyOrder`.
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
/// slashes and non-ASCII text are written as they are.
struct JSONWriter {
    let pretty: Bool
    /// The text written so far, UTF-8.
    private(set) var bytes: [UInt8] = []

    init(pretty: Bool) {
        self.pretty = pretty
    }

    /// The JSON text of `value`, without a trailing newline.
    static func text(_ value: Any, pretty: Bool) throws -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        try writer.write(value, depth: 0)
        return writer.bytes
    }

    /// Appends `value`, nested `depth` containers deep.
    mutating func write(_ value: Any, depth: Int) throws {
        switch value {
        case let string as String: write(string: string)
        case let flag as Bool: append(flag ? "true" : "false")
        case let object as [String: Any]: try write(object: object, depth: depth)
        case let array as [Any]: try write(array: array, depth: depth)
        // The integer types the commands use, by name: a cast to a
        // concrete type is a compare of metadata, one to `any
        // BinaryInteger` a search of the conformance tables.
        case let integer as UInt32: append(String(integer))
        case let integer as UInt64: append(String(integer))
        case let integer as Int: append(String(integer))
        case let integer as any BinaryInteger: append(String(describing: integer))
        case let number as Double:
            guard number.isFinite else { throw JSONWriterError("\(number) has no JSON form") }
            append(String(describing: number))
        default:
            if case Optional<Any>.none = value {
                append("null")
            } else {
                throw JSONWriterError("a value of type \(type(of: value)) has no JSON form")
            }
        }
    }

    private mutating func write(object: [String: Any], depth: Int) throws {
        guard !object.isEmpty else { return append("{}") }
        bytes.append(UInt8(ascii: "{"))
        var first = true
        // Positions are sorted, not members: moving a member moves an
        // existential through its value witnesses. Keys and values come
        // out of one dictionary in the same order.
        let keys = Array(object.keys), values = Array(object.values)
        for position in keys.indices.sorted(by: { JSONKeyOrder.precedes(keys[$0], keys[$1]) }) {
            separate(first: first, depth: depth + 1)
            first = false
            write(string: keys[position])
            append(pretty ? " : " : ":")
            try write(values[position], depth: depth + 1)
        }
        close(depth: depth)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(array: [Any], depth: Int) throws {
        guard !array.isEmpty else { return append("[]") }
        bytes.append(UInt8(ascii: "["))
        for (position, element) in array.enumerated() {
            separate(first: position == 0, depth: depth + 1)
            try write(element, depth: depth + 1)
        }
        close(depth: depth)
        bytes.append(UInt8(ascii: "]"))
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

    private mutating func write(string: String) {
        bytes.append(UInt8(ascii: "\""))
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: string.utf8)
            return bytes.append(UInt8(ascii: "\""))
        }
        for byte in string.utf8 {
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

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}

/// A value the writer has no JSON form for: a command built a tree it
/// should not have.
struct JSONWriterError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = "cannot write JSON: " + description
    }
}
