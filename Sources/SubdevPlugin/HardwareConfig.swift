/// A node of a hardware description: a scalar, a list or a map, with where
/// it came from, so that every error names the line and the field.
///
/// The host reads the file (YAML) into this tree and hands each parent's
/// node to its plugin, which reads it through the throwing accessors.
public struct HardwareConfig: Sendable, Hashable, Codable {
    public indirect enum Value: Sendable, Hashable, Codable {
        /// A scalar, as written; accessors parse it.
        case scalar(String)
        case list([HardwareConfig])
        /// Entries in file order.
        case map([Entry])
    }

    public struct Entry: Sendable, Hashable, Codable {
        public var key: String
        public var value: HardwareConfig

        public init(key: String, value: HardwareConfig) {
            self.key = key
            self.value = value
        }
    }

    public var value: Value
    /// Dotted path from the file's root, such as `parents[1].config.fb-size`.
    public var path: String
    /// 1-based line in the file; 0 when not from a file.
    public var line: Int

    public init(_ value: Value, path: String, line: Int = 0) {
        self.value = value
        self.path = path
        self.line = line
    }

    /// An empty map, for parents that need no configuration.
    public static func empty(path: String) -> HardwareConfig {
        HardwareConfig(.map([]), path: path)
    }

    /// The error for this node, naming its line and path.
    public func error(_ message: String) -> ConfigError {
        ConfigError(line: line, path: path, message: message)
    }

    // MARK: maps

    /// The entries of a map node.
    public func entries() throws -> [Entry] {
        guard case .map(let entries) = value else { throw error("expected a map of fields") }
        return entries
    }

    /// The value of field `key`, if present.
    public func child(_ key: String) throws -> HardwareConfig? {
        try entries().last { $0.key == key }?.value
    }

    /// The value of field `key`; a missing one names the map's line.
    public func require(_ key: String) throws -> HardwareConfig {
        guard let value = try child(key) else {
            throw ConfigError(line: line, path: path.isEmpty ? key : "\(path).\(key)", message: "missing field \(key)")
        }
        return value
    }

    /// Rejects fields the reader does not know, so typos do not pass silently.
    public func allowOnly(_ keys: [String]) throws {
        for entry in try entries() where !keys.contains(entry.key) {
            throw entry.value.error("unknown field \(entry.key) (known: \(keys.joined(separator: ", ")))")
        }
    }

    // MARK: scalars

    /// The scalar text of this node.
    public func text() throws -> String {
        guard case .scalar(let text) = value else { throw error("expected a single value") }
        return text
    }

    /// This node as an unsigned integer (decimal or 0x hex), within `range`.
    public func integer(in range: ClosedRange<UInt64> = 0...UInt64.max) throws -> UInt64 {
        let text = try text()
        let parsed = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let number = parsed else { throw error("expected an unsigned integer, got '\(text)'") }
        guard range.contains(number) else { throw error("\(number) out of range \(range.lowerBound)..\(range.upperBound)") }
        return number
    }

    /// This node as a size in bytes: a number with an optional K, M, G or
    /// T suffix (powers of 1024, `iB` optional), such as `48GiB`.
    public func bytes(in range: ClosedRange<UInt64> = 1...UInt64.max) throws -> UInt64 {
        let text = try text().replacingSpaces()
        let units: [(String, UInt64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
                                         ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        var number = text
        var scale: UInt64 = 1
        if let unit = units.first(where: { text.hasSuffix($0.0) }) {
            number = String(text.dropLast(unit.0.count))
            scale = unit.1
        }
        guard let value = UInt64(number) else { throw error("expected a size such as 48GiB, got '\(text)'") }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow, range.contains(product) else {
            throw error("size \(text) out of range \(range.lowerBound)..\(range.upperBound) bytes")
        }
        return product
    }

    /// This node as a bool: true/false, yes/no, on/off.
    public func boolean() throws -> Bool {
        switch try text().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("expected true or false, got '\(other)'")
        }
    }

    /// This node as one of `choices`.
    public func choice(_ choices: [String]) throws -> String {
        let text = try text()
        guard choices.contains(text) else { throw error("'\(text)' is not one of \(choices.joined(separator: ", "))") }
        return text
    }

    /// The items of a list node.
    public func items() throws -> [HardwareConfig] {
        guard case .list(let items) = value else { throw error("expected a list") }
        return items
    }

    // MARK: fields, with defaults

    public func integer(_ key: String, in range: ClosedRange<UInt64> = 0...UInt64.max, default fallback: UInt64? = nil) throws -> UInt64 {
        guard let node = try child(key) else {
            if let fallback { return fallback }
            return try require(key).integer(in: range)
        }
        return try node.integer(in: range)
    }

    public func bytes(_ key: String, in range: ClosedRange<UInt64> = 1...UInt64.max, default fallback: UInt64? = nil) throws -> UInt64 {
        guard let node = try child(key) else {
            if let fallback { return fallback }
            return try require(key).bytes(in: range)
        }
        return try node.bytes(in: range)
    }

    public func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let node = try child(key) else {
            if let fallback { return fallback }
            return try require(key).text()
        }
        return try node.text()
    }

    public func boolean(_ key: String, default fallback: Bool) throws -> Bool {
        try child(key)?.boolean() ?? fallback
    }

    public func choice(_ key: String, _ choices: [String], default fallback: String) throws -> String {
        try child(key)?.choice(choices) ?? fallback
    }

    public func items(_ key: String) throws -> [HardwareConfig] {
        try child(key)?.items() ?? []
    }
}

/// A hardware description that does not make sense, with where.
public struct ConfigError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var path: String
    public var message: String

    public init(line: Int, path: String, message: String) {
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        line > 0 ? "line \(line): \(path): \(message)" : "\(path): \(message)"
    }
}

extension String {
    func replacingSpaces() -> String { filter { $0 != " " } }
}
