/// The type of a netlink attribute's payload, as YNL names it.
///
/// Mirrors the kernel's `NLA_*` policy types for the kinds a spec can use.
public enum AttributeType: String, Sendable, Hashable {
    /// `NLA_FLAG`: present or absent, no payload.
    case flag
    /// `NLA_U8`.
    case u8
    /// `NLA_U16`.
    case u16
    /// `NLA_U32`.
    case u32
    /// `NLA_U64`.
    case u64
    /// `NLA_S8`.
    case s8
    /// `NLA_S16`.
    case s16
    /// `NLA_S32`.
    case s32
    /// `NLA_S64`.
    case s64
    /// `NLA_UINT`: 4 or 8 bytes.
    case uint
    /// `NLA_SINT`: 4 or 8 bytes.
    case sint
    /// `NLA_NUL_STRING`: a NUL-terminated string.
    case string
    /// `NLA_BINARY`: opaque bytes.
    case binary
    /// `NLA_NESTED`: attributes of another set.
    case nest

    /// Payload size of a fixed-width type, `nil` for the others.
    public var fixedSize: Int? {
        switch self {
        case .flag: return 0
        case .u8, .s8: return 1
        case .u16, .s16: return 2
        case .u32, .s32: return 4
        case .u64, .s64: return 8
        case .uint, .sint, .string, .binary, .nest: return nil
        }
    }

    /// Whether the payload is an integer.
    public var isInteger: Bool {
        switch self {
        case .u8, .u16, .u32, .u64, .s8, .s16, .s32, .s64, .uint, .sint: return true
        case .flag, .string, .binary, .nest: return false
        }
    }
}

/// How the kernel validates one attribute: the spec's `type` and `checks`.
///
/// Generated from the spec into the uAPI module; used by the model to validate
/// requests exactly as the kernel's policy would, and by the client to decode.
public struct AttributePolicy: Sendable, Hashable {
    /// Attribute type number within its set (`SUBDEV_A_*`).
    public var id: UInt16
    /// The spec's name of the attribute, such as `bus-name`.
    public var name: String
    /// Payload type.
    public var type: AttributeType
    /// Smallest integer value (`checks: min`, or 0 for an enum).
    public var min: Int64?
    /// Largest integer value (`checks: max`, or the last entry of an enum).
    public var max: UInt64?
    /// Shortest payload (`checks: min-len`); for strings, without the NUL.
    public var minLength: Int?
    /// Longest payload (`checks: max-len`); for strings, without the NUL.
    public var maxLength: Int?
    /// Exact payload length (`checks: exact-len`).
    public var exactLength: Int?
    /// For `nest`: the name of the attribute set inside.
    public var nestedSet: String?
    /// For an enum-typed integer: the spec's enum name.
    public var enumName: String?
    /// Whether the attribute may repeat (`multi-attr`).
    public var multi: Bool

    public init(
        id: UInt16, name: String, type: AttributeType,
        min: Int64? = nil, max: UInt64? = nil,
        minLength: Int? = nil, maxLength: Int? = nil, exactLength: Int? = nil,
        nestedSet: String? = nil, enumName: String? = nil, multi: Bool = false
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.min = min
        self.max = max
        self.minLength = minLength
        self.maxLength = maxLength
        self.exactLength = exactLength
        self.nestedSet = nestedSet
        self.enumName = enumName
        self.multi = multi
    }
}

/// One attribute set of a family: attribute ids to their policies.
public struct AttributeSetPolicy: Sendable, Hashable {
    /// The spec's name of the set, such as `dev`.
    public var name: String
    /// Policies by attribute id.
    public var attributes: [UInt16: AttributePolicy]
    /// Highest attribute id (`SUBDEV_A_*_MAX`).
    public var maxType: UInt16

    public init(name: String, attributes: [AttributePolicy]) {
        self.name = name
        self.attributes = Dictionary(uniqueKeysWithValues: attributes.map { ($0.id, $0) })
        self.maxType = attributes.map(\.id).max() ?? 0
    }

    /// The policy of the attribute called `name`, if the set has one.
    public func attribute(named name: String) -> AttributePolicy? {
        attributes.values.first { $0.name == name }
    }
}

/// One operation of a family, with its per-request attribute lists.
public struct OperationPolicy: Sendable, Hashable {
    /// Command number (`SUBDEV_CMD_*`).
    public var command: UInt8
    /// The spec's name, such as `dev-new`.
    public var name: String
    /// Attribute set of requests and replies; `nil` for notifications that only name another op.
    public var attributeSet: String?
    /// Attribute ids a `do` request may carry; `nil` when the op has no `do`.
    public var doRequest: [UInt16]?
    /// Attribute ids a `dump` request may carry; `nil` when the op has no `dump`.
    public var dumpRequest: [UInt16]?
    /// Whether a `do` that succeeds answers with one reply message (the
    /// spec lists `do: reply:`): a requester may then leave `NLM_F_ACK`
    /// clear and take the reply as the end of the answer.
    public var doReplies: Bool
    /// Whether the op needs `CAP_NET_ADMIN` (`flags: [admin-perm]`).
    public var adminPerm: Bool
    /// For a notification: the op whose reply it shares.
    public var notify: String?
    /// For a notification or event: the multicast group it is sent to.
    public var multicastGroup: String?
    /// For an event: the attribute ids it carries.
    public var event: [UInt16]?

    public init(
        command: UInt8, name: String, attributeSet: String?,
        doRequest: [UInt16]?, dumpRequest: [UInt16]?, adminPerm: Bool, doReplies: Bool = false,
        notify: String? = nil, multicastGroup: String? = nil, event: [UInt16]? = nil
    ) {
        self.command = command
        self.name = name
        self.attributeSet = attributeSet
        self.doRequest = doRequest
        self.dumpRequest = dumpRequest
        self.adminPerm = adminPerm
        self.doReplies = doReplies
        self.notify = notify
        self.multicastGroup = multicastGroup
        self.event = event
    }

    /// Whether this is a notification or event rather than a request a user sends.
    public var isNotification: Bool { notify != nil || event != nil }
}

/// A whole generic netlink family as its spec describes it.
public struct FamilyPolicy: Sendable {
    /// Family name, such as `subdev`.
    public var name: String
    /// Family version reported by `CTRL_CMD_GETFAMILY`.
    public var version: UInt32
    /// Attribute sets by name.
    public var sets: [String: AttributeSetPolicy]
    /// Operations by command number.
    public var operations: [UInt8: OperationPolicy]
    /// Multicast group names, in spec order.
    public var multicastGroups: [String]
    /// Enum entries by enum name, in value order, for messages that name values.
    public var enums: [String: [String]]

    public init(
        name: String, version: UInt32, sets: [AttributeSetPolicy],
        operations: [OperationPolicy], multicastGroups: [String], enums: [String: [String]]
    ) {
        self.name = name
        self.version = version
        self.sets = Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0) })
        self.operations = Dictionary(uniqueKeysWithValues: operations.map { ($0.command, $0) })
        self.multicastGroups = multicastGroups
        self.enums = enums
    }

    /// The operation called `name`, if the family has one.
    public func operation(named name: String) -> OperationPolicy? {
        operations.values.first { $0.name == name }
    }
}
