import Foundation

/// Where command output goes: text lines, or one JSON document.
struct Output {
    let json: Bool
    let pretty: Bool

    /// Prints `object` as JSON, keys in `JSONKeyOrder`, so output is stable.
    /// The text goes out as it is written, a piece at a time.
    func printJSON(_ object: JSONObject) {
        printJSON { $0.write(.object(object), depth: 0) }
    }

    /// Prints `{"NAME": {KEY: VALUE, ...}}` for the `items`, each item's
    /// value made as it is written, so a listing of a hundred thousand
    /// never holds all their trees at once.
    func printListing<Item>(_ name: String, _ items: [Item], key: (Item) -> String, value: (Item) -> JSONObject) {
        let keys = items.map(key)
        printJSON { writer in
            writer.write(objectOf: 1, key: { _ in name }, depth: 0) { writer, _, depth in
                writer.write(objectOf: keys.count, key: { keys[$0] }, depth: depth) { writer, position, depth in
                    writer.write(.object(value(items[position])), depth: depth)
                }
            }
        }
    }

    /// The document and its newline leave in one write when they fit in a
    /// piece: `monitor` prints from two tasks at once, and a line written
    /// in two parts could be split by the other's.
    private func printJSON(_ write: (inout JSONWriter) -> Void) {
        var writer = JSONWriter(pretty: pretty, chunk: Self.piece) { FileHandle.standardOutput.write(Data($0)) }
        write(&writer)
        writer.finish(withNewline: true)
    }

    func printLines(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Prints the lines of each of `items` in turn, a piece at a time, so
    /// a listing of a hundred thousand is never held whole as text.
    func printLines<Item>(of items: [Item], _ lines: (Item) -> [String]) {
        var text: [UInt8] = []
        text.reserveCapacity(Self.piece + Self.piece / 4)
        for item in items {
            for line in lines(item) {
                text.append(contentsOf: line.utf8)
                text.append(UInt8(ascii: "\n"))
            }
            if text.count >= Self.piece {
                FileHandle.standardOutput.write(Data(text))
                text.removeAll(keepingCapacity: true)
            }
        }
        if !text.isEmpty { FileHandle.standardOutput.write(Data(text)) }
    }

    /// About how many bytes of output are written at a time.
    static let piece = 1 << 16
}
