import Subdev
import SubdevUAPI

/// A subdevice defined to persist: what `subdev dev define` stores and
/// `subdev dev start` (or autostart) creates, as mdevctl's definitions
/// are, keyed by the operator's name instead of a UUID.
///
/// Stored as JSON, one file per definition:
///
/// ```json
/// {"autostart": true, "name": "vm0", "parent": "pci/0000:6a:01.0",
///  "params": {"wq-size": 32, "block-on-fault": true}, "type": "dwq"}
/// ```
public struct DeviceDefinition: Codable, Sendable, Hashable {
    /// The subdevice's name: the key of the definition and of the live subdevice.
    public var name: String
    /// `BUS/NAME`.
    public var parent: String
    public var type: String
    /// Parameter values. Typed when the type's schema was known at
    /// definition time; text (a `DefinedValue.text`) when its parent was
    /// absent, to be read by the schema when the definition starts.
    public var params: [String: DefinedValue]
    /// `up` or `down`; up when absent.
    public var state: String?
    /// Device node access; root's and 0600 when absent.
    public var node: DefinedNode?
    /// Whether the agent creates it when its parent appears.
    public var autostart: Bool

    public init(name: String, parent: String, type: String, params: [String: DefinedValue] = [:],
                state: String? = nil, node: DefinedNode? = nil, autostart: Bool = false) {
        self.name = name
        self.parent = parent
        self.type = type
        self.params = params
        self.state = state
        self.node = node
        self.autostart = autostart
    }

    /// Checks what can be checked without the family: a usable name, a
    /// parent handle, a type, a state. Errors name the field at fault.
    public func validate() throws {
        guard !name.isEmpty, name.utf8.count <= SubdevConstant.nameLen, !name.contains("/"),
              !name.hasPrefix("."), name.allSatisfy({ !$0.isWhitespace && $0 != "\0" }) else {
            throw DefinitionError("name \"\(name)\" is not a subdevice name: 1 to \(SubdevConstant.nameLen) bytes, no /, no spaces, not starting with .")
        }
        guard ParentHandle(parsing: parent) != nil else {
            throw DefinitionError("parent \(parent) of \(name) is not BUS/NAME")
        }
        guard !type.isEmpty else { throw DefinitionError("definition \(name) has no type") }
        if let state, SubdevAdminState(name: state) == nil {
            throw DefinitionError("state \(state) of \(name) is not up or down")
        }
        if let mode = node?.mode, UInt16(mode, radix: 8).map({ $0 > 0o777 }) ?? true {
            throw DefinitionError("node mode \(mode) of \(name) is not an octal permission such as 0660")
        }
    }

    /// What `dev-new` needs, with text values read by `schema` (the type's
    /// parameters as the family reports them).
    public func newDevice(schema: [ParamInfo]) throws -> NewDevice {
        guard let parentHandle = ParentHandle(parsing: parent) else {
            throw DefinitionError("parent \(parent) of \(name) is not BUS/NAME")
        }
        var values: [(String, ParamValue)] = []
        for (param, value) in params.sorted(by: { $0.key < $1.key }) {
            guard let info = schema.first(where: { $0.name == param }) else {
                throw DefinitionError("type \(type) has no parameter \(param)")
            }
            values.append((param, try value.value(for: info)))
        }
        var access: NodeAccessInfo?
        if let node {
            access = NodeAccessInfo(uid: node.uid ?? 0, gid: node.gid ?? 0,
                                    mode: node.mode.flatMap { UInt16($0, radix: 8) } ?? 0o600)
        }
        return NewDevice(parent: parentHandle, type: type, name: name,
                         adminState: state.flatMap { SubdevAdminState(name: $0) }, params: values, node: access)
    }
}

/// A parameter value in a definition: a number, a bool, or text.
public enum DefinedValue: Codable, Sendable, Hashable, CustomStringConvertible {
    case number(UInt64)
    case bool(Bool)
    case text(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(UInt64.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a parameter value is a whole number from 0, true or false, or a string")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        case .text(let text): try container.encode(text)
        }
    }

    /// The typed value of a schema's parameter, as the family reports it.
    public init(_ value: ParamValue, kind: SubdevParamKind?) {
        switch value {
        case .int(let number): self = kind == .bool ? .bool(number != 0) : .number(number)
        case .string(let text): self = .text(text)
        }
    }

    /// The value for `info`: numbers and bools as they are, text read by its kind.
    public func value(for info: ParamInfo) throws -> ParamValue {
        switch self {
        case .number(let number):
            guard info.isInteger else { throw DefinitionError("\(info.name) is a \(info.kind), not a number") }
            return .int(number)
        case .bool(let flag):
            guard info.kind == .bool else { throw DefinitionError("\(info.name) is a \(info.kind), not a bool") }
            return .int(flag ? 1 : 0)
        case .text(let text):
            return try info.value(parsing: text)
        }
    }

    public var description: String {
        switch self {
        case .number(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .text(let text): return text
        }
    }
}

/// Device node access in a definition.
public struct DefinedNode: Codable, Sendable, Hashable {
    public var uid: UInt32?
    public var gid: UInt32?
    /// Octal text, such as `0660`.
    public var mode: String?

    public init(uid: UInt32? = nil, gid: UInt32? = nil, mode: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// A definition that cannot be stored, read or started, in words that
/// name the field at fault.
public struct DefinitionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
