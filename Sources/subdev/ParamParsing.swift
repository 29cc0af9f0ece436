import Subdev
import SubdevUAPI

/// Turns `PARAM VALUE` words into typed values, by the schema the family
/// reported for the type, with errors in the schema's words.
enum ParamParsing {
    static func parse(_ words: ArraySlice<String>, schema: [ParamInfo], type: String) throws -> [(String, ParamValue)] {
        var settings: [(String, ParamValue)] = []
        var rest = words
        while let name = rest.popFirst() {
            guard let param = schema.first(where: { $0.name == name }) else {
                let known = schema.map(\.name).joined(separator: ", ")
                throw CLIError("type \(type) has no parameter \(name)\(known.isEmpty ? "" : " (it has: \(known))")")
            }
            guard let text = rest.popFirst() else {
                throw CLIError("parameter \(name) needs a value")
            }
            settings.append((name, try value(text, for: param)))
        }
        return settings
    }

    static func value(_ text: String, for param: ParamInfo) throws -> ParamValue {
        switch param.kind {
        case .bool:
            switch text.lowercased() {
            case "true", "on", "yes", "1": return .int(1)
            case "false", "off", "no", "0": return .int(0)
            default: throw CLIError("\(param.name) is a bool: give true or false, not \(text)")
            }
        case .u8, .u16, .u32, .u64:
            let number = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            guard let number else {
                throw CLIError("\(param.name) is a \(param.kind) and \(text) is not a number")
            }
            return .int(number)
        case .string, .enum:
            return .string(text)
        }
    }
}

/// Parses the keyword words of `dev add` and `dev set`: `type`, `name`,
/// `state`, then parameters.
struct DeviceWords {
    var type: String?
    var name: String?
    var state: SubdevAdminState?
    /// Device node access, when uid, gid or mode is given.
    var node: NodeAccessInfo?
    /// The `PARAM VALUE` words, in order.
    var params: ArraySlice<String> = []

    /// Words come in pairs; a pair whose first word is a keyword sets that
    /// keyword, any other pair is a parameter.
    init(_ words: [String], keywords: Set<String>) throws {
        var rest = words[...]
        var others: [String] = []
        while let word = rest.popFirst() {
            guard let value = rest.popFirst() else {
                throw CLIError(keywords.contains(word) ? "\(word) needs a value" : "parameter \(word) needs a value")
            }
            guard keywords.contains(word) else {
                others += [word, value]
                continue
            }
            switch word {
            case "type": type = value
            case "name": name = value
            case "node-uid", "node-gid":
                guard let id = UInt32(value) else { throw CLIError("\(word) \(value) is not a numeric id") }
                var access = node ?? NodeAccessInfo()
                if word == "node-uid" { access.uid = id } else { access.gid = id }
                node = access
            case "node-mode":
                guard let bits = UInt16(value, radix: 8), bits <= 0o777 else {
                    throw CLIError("node-mode \(value) is not an octal permission such as 0660")
                }
                var access = node ?? NodeAccessInfo()
                access.mode = bits
                node = access
            case "state":
                guard let parsed = SubdevAdminState(name: value) else {
                    throw CLIError("state \(value) is not one of \(SubdevAdminState.allCases.map(\.name).joined(separator: ", "))")
                }
                state = parsed
            default: break
            }
        }
        params = others[...]
    }
}
