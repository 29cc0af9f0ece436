import Foundation

/// Where command output goes: text lines, or one JSON document.
struct Output {
    let json: Bool
    let pretty: Bool

    /// Prints `object` as JSON (keys sorted, so output is stable).
    func printJSON(_ object: Any) throws {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        let data = try JSONSerialization.data(withJSONObject: object, options: options)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    func printLines(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
