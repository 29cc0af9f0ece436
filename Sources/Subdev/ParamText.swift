/// A parameter value given as text that its schema does not accept.
public struct ParamTextError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ParamInfo {
    /// The typed value of `text` for this parameter: numbers (decimal or
    /// 0x hex) for integer kinds, true/false (on/off, yes/no, 1/0) for
    /// bools, the text itself for strings and enums. Ranges and choices
    /// are the family's to check.
    public func value(parsing text: String) throws -> ParamValue {
        switch kind {
        case .bool:
            switch text.lowercased() {
            case "true", "on", "yes", "1": return .int(1)
            case "false", "off", "no", "0": return .int(0)
            default: throw ParamTextError("\(name) is a bool: give true or false, not \(text)")
            }
        case .u8, .u16, .u32, .u64:
            let number = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            guard let number else { throw ParamTextError("\(name) is a \(kind) and \(text) is not a number") }
            return .int(number)
        case .string, .enum:
            return .string(text)
        }
    }
}

extension Array where Element == ParamInfo {
    /// Typed values for `PARAM VALUE` word pairs, by this schema of `type`.
    public func values(parsing words: ArraySlice<String>, type: String) throws -> [(String, ParamValue)] {
        var settings: [(String, ParamValue)] = []
        var rest = words
        while let name = rest.popFirst() {
            guard let param = first(where: { $0.name == name }) else {
                let known = map(\.name).joined(separator: ", ")
                throw ParamTextError("type \(type) has no parameter \(name)\(known.isEmpty ? "" : " (it has: \(known))")")
            }
            guard let text = rest.popFirst() else { throw ParamTextError("parameter \(name) needs a value") }
            settings.append((name, try param.value(parsing: text)))
        }
        return settings
    }
}
