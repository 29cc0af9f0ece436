import Subdev
import SubdevUAPI

/// Parses the keyword words of `dev add` and `dev set`: `type`, `name`,
/// `state`, then parameters.
struct DeviceWords {
    var type: String?
    var name: String?
    var state: SubdevAdminState?
    /// Device node access, when uid, gid or mode is given.
    var node: NodeAccessInfo?
    /// `autostart on|off`, for definitions.
    var autostart: Bool?
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
            case "autostart":
                autostart = try parseSwitch(value, for: word)
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

/// `on` or `off` (also true/false, yes/no) as a Bool.
func parseSwitch(_ value: String, for keyword: String) throws -> Bool {
    switch value.lowercased() {
    case "on", "true", "yes": return true
    case "off", "false", "no": return false
    default: throw CLIError("\(keyword) takes on or off, not \(value)")
    }
}
