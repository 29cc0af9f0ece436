import Foundation

/// Where command output goes: text lines, or one JSON document.
struct Output {
    let json: Bool
    let pretty: Bool

    /// Prints `object` as JSON, keys in `JSONKeyOrder`, so output is stable.
    func printJSON(_ object: Any) throws {
        var text = try JSONWriter.text(object, pretty: pretty)
        text.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(Data(text))
    }

    func printLines(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
