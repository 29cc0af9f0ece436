// Turning spec names (kebab-case) into Swift and C identifiers, and docs into
// wrapped comment lines.

enum Naming {
    /// Words that Swift would not take as a case or member name without backticks.
    static let swiftKeywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension",
        "fileprivate", "func", "import", "init", "inout", "internal", "let", "nonisolated",
        "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var",
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
        "try", "Type", "Protocol",
    ]

    /// The words of a spec name: `bus-name` is `bus`, `name`.
    static func words(_ name: String) -> [String] {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " }).map(String.init)
    }

    /// `bus-name` → `busName`; a leading digit gets an underscore before it.
    static func lowerCamel(_ name: String) -> String {
        var result = ""
        for (index, word) in words(name).enumerated() {
            result += index == 0 ? word.lowercased() : capitalized(word)
        }
        if result.isEmpty { return "_" }
        if let first = result.first, first.isNumber { return "_" + result }
        return result
    }

    /// `admin-state` → `AdminState`.
    static func upperCamel(_ name: String) -> String {
        words(name).map(capitalized).joined()
    }

    /// A Swift identifier for a member: lower camel case, with backticks if it is a keyword.
    static func swiftMember(_ name: String) -> String {
        escapeSwift(lowerCamel(name))
    }

    /// `identifier` in backticks if Swift reserves it.
    static func escapeSwift(_ identifier: String) -> String {
        swiftKeywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// `name-len` → `NAME_LEN`.
    static func cUpper(_ name: String) -> String {
        cLower(name).uppercased()
    }

    /// `admin-state` → `admin_state`.
    static func cLower(_ name: String) -> String {
        String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private static func capitalized(_ word: String) -> String {
        guard let first = word.first else { return "" }
        return first.uppercased() + word.dropFirst().lowercased()
    }

    /// A string literal for Swift or C source.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

enum DocText {
    /// The paragraphs of a doc: lines joined, whitespace collapsed, blank
    /// lines separating paragraphs.
    static func paragraphs(_ doc: String) -> [String] {
        var result: [String] = []
        var current: [String] = []
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty {
                if !current.isEmpty { result.append(current.joined(separator: " ")) }
                current = []
            } else {
                current.append(words.joined(separator: " "))
            }
        }
        if !current.isEmpty { result.append(current.joined(separator: " ")) }
        return result
    }

    /// The doc on one line, paragraphs separated by a space.
    static func oneLine(_ doc: String) -> String {
        paragraphs(doc).joined(separator: " ")
    }

    /// Words of `text` greedily filled into lines of at most `width`
    /// characters; a longer word gets a line of its own.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// A doc as wrapped lines, paragraphs separated by an empty line.
    static func wrappedLines(_ doc: String, width: Int) -> [String] {
        var lines: [String] = []
        for (index, paragraph) in paragraphs(doc).enumerated() {
            if index > 0 { lines.append("") }
            lines += wrap(paragraph, width: width)
        }
        return lines
    }
}
