/// Accumulates the lines of a generated file, with indentation and comment
/// blocks; never leaves trailing whitespace.
struct SourceWriter {
    private var lines: [String] = []
    private let indentUnit: String
    /// Width of one indent level when wrapping, in columns.
    private let indentWidth: Int
    /// Current indent level.
    var level = 0

    init(indentUnit: String, indentWidth: Int) {
        self.indentUnit = indentUnit
        self.indentWidth = indentWidth
    }

    /// Columns taken by the current indentation.
    var indentColumns: Int { level * indentWidth }

    /// Appends one line at the current indent; an empty line has no indent.
    mutating func line(_ text: String = "") {
        if text.isEmpty {
            lines.append("")
        } else {
            lines.append(String(repeating: indentUnit, count: level) + text)
        }
    }

    /// Appends `doc` wrapped to `width` columns, each line after `prefix`
    /// (such as `/// `); empty lines of the doc get the prefix without its
    /// trailing space.
    mutating func comment(_ doc: String, prefix: String, width: Int) {
        let room = Swift.max(20, width - indentColumns - prefix.count)
        for text in DocText.wrappedLines(doc, width: room) {
            line(text.isEmpty ? prefix.trimmingSpaces : prefix + text)
        }
    }

    /// Appends a blank line unless the last line is blank or an opening brace.
    mutating func separator() {
        if let last = lines.last, !last.isEmpty, !last.hasSuffix("{") {
            lines.append("")
        }
    }

    /// The file's text, ending with one newline.
    var text: String {
        var result = lines
        while result.last == "" { result.removeLast() }
        return result.map { $0.trimmingTrailingWhitespace }.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// The string without trailing spaces and tabs.
    var trimmingTrailingWhitespace: String {
        guard let last = lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(self[...last])
    }
}
