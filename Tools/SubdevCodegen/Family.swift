// The spec as the renderers see it: every name resolved, every value
// assigned, every check turned into a number. Built by Resolver.swift.

/// A generic netlink family, resolved from its spec.
public struct Family: Sendable, Equatable {
    /// Family name, such as `subdev`.
    public var name: String
    /// The family's doc.
    public var doc: String
    /// Version reported by `CTRL_CMD_GETFAMILY`: the const named `version`, else 1.
    public var version: UInt32
    /// The C header's path under `include/uapi/`, such as `linux/subdev.h`.
    public var uapiHeader: String
    /// `const` definitions, in spec order.
    public var consts: [Const]
    /// `enum` definitions, in spec order.
    public var enums: [EnumDefinition]
    /// Attribute sets, in spec order.
    public var attributeSets: [AttributeSet]
    /// Operations and notifications, in spec order.
    public var operations: [Operation]
    /// C prefix of the command enumerators, such as `subdev-cmd-`.
    public var commandPrefix: String
    /// C name of the command enum, `nil` for an anonymous enum.
    public var commandEnumName: String?
    /// Multicast groups, in spec order.
    public var multicastGroups: [MulticastGroup]

    /// The attribute set called `name`.
    public func attributeSet(named name: String) -> AttributeSet? {
        attributeSets.first { $0.name == name }
    }

    /// The operation called `name`.
    public func operation(named name: String) -> Operation? {
        operations.first { $0.name == name }
    }

    /// The enum definition called `name`.
    public func enumDefinition(named name: String) -> EnumDefinition? {
        enums.first { $0.name == name }
    }

    /// The notifications whose reply is that of `operation`.
    public func notifications(of operation: String) -> [Operation] {
        operations.filter { $0.notify == operation }
    }
}

/// A `const` definition.
public struct Const: Sendable, Equatable {
    public var name: String
    public var doc: String
    public var value: Int
    /// Whether the C header defines it (scope uapi and no `header`).
    public var inHeader: Bool
}

/// An `enum` definition.
public struct EnumDefinition: Sendable, Equatable {
    public var name: String
    public var doc: String
    /// Entries in spec order.
    public var entries: [EnumEntry]
    /// Whether the C enum ends with `__X_MAX` and `X_MAX`.
    public var renderMax: Bool
    /// Whether the C header defines it (scope uapi and no `header`).
    public var inHeader: Bool

    /// Entries sorted by value.
    public var entriesByValue: [EnumEntry] {
        entries.enumerated()
            .sorted { ($0.element.value, $0.offset) < ($1.element.value, $1.offset) }
            .map(\.element)
    }

    /// The smallest value of an entry.
    public var lowest: Int { entries.map(\.value).min() ?? 0 }
    /// The largest value of an entry.
    public var highest: Int { entries.map(\.value).max() ?? 0 }
}

/// One entry of an enum.
public struct EnumEntry: Sendable, Equatable {
    public var name: String
    public var doc: String
    public var value: Int
}

/// The payload type of an attribute, as YNL names it.
public enum AttributeKind: String, Sendable, Equatable, CaseIterable {
    case unused, pad, flag, binary, uint, sint
    case u8, u16, u32, u64, s8, s16, s32, s64
    case string, nest

    /// Whether the payload is an integer.
    public var isInteger: Bool { integerRange != nil }

    /// Whether the attribute appears in the validation policy; `unused` and
    /// `pad` only reserve an id.
    public var inPolicy: Bool { self != .unused && self != .pad }

    /// The values an integer of this type holds, as (lowest, highest).
    var integerRange: (low: WideInt, high: WideInt)? {
        switch self {
        case .u8: return (.zero, .unsigned(UInt64(UInt8.max)))
        case .u16: return (.zero, .unsigned(UInt64(UInt16.max)))
        case .u32: return (.zero, .unsigned(UInt64(UInt32.max)))
        case .u64, .uint: return (.zero, .unsigned(UInt64.max))
        case .s8: return (.signed(Int64(Int8.min)), .signed(Int64(Int8.max)))
        case .s16: return (.signed(Int64(Int16.min)), .signed(Int64(Int16.max)))
        case .s32: return (.signed(Int64(Int32.min)), .signed(Int64(Int32.max)))
        case .s64, .sint: return (.signed(Int64.min), .signed(Int64.max))
        case .unused, .pad, .flag, .binary, .string, .nest: return nil
        }
    }
}

/// An attribute set.
public struct AttributeSet: Sendable, Equatable {
    public var name: String
    public var doc: String
    /// C prefix of the enumerators, such as `subdev-a-dev-`.
    public var namePrefix: String
    /// C name of the enum, `nil` for an anonymous enum.
    public var enumName: String?
    /// Attributes in spec order.
    public var attributes: [Attribute]

    /// The attribute called `name`.
    public func attribute(named name: String) -> Attribute? {
        attributes.first { $0.name == name }
    }
}

/// One attribute of a set, with its checks resolved.
public struct Attribute: Sendable, Equatable {
    public var name: String
    public var doc: String
    /// Attribute type number within its set.
    public var id: UInt16
    public var kind: AttributeKind
    /// Whether the attribute may repeat (`multi-attr`).
    public var multi: Bool
    /// For `nest`: the set inside.
    public var nestedSet: String?
    /// For an enum-typed integer: the enum.
    public var enumName: String?
    /// Smallest value: `checks: min`, else the enum's lowest value.
    public var min: Int64?
    /// Largest value: `checks: max`, else the enum's highest value.
    public var max: UInt64?
    /// `checks: min-len`.
    public var minLength: Int?
    /// `checks: max-len`.
    public var maxLength: Int?
    /// `checks: exact-len`.
    public var exactLength: Int?
    /// The checks in words, in the order min, max, min-len, max-len,
    /// exact-len, such as `max-len 63 (name-len)`.
    public var checkSummary: [String]
}

/// An operation or a notification.
public struct Operation: Sendable, Equatable {
    public var name: String
    public var doc: String
    /// Command number.
    public var value: UInt8
    /// The set its requests and replies use; for a notification without its
    /// own, that of the operation it notifies about.
    public var attributeSet: String?
    /// `flags`, in spec order.
    public var flags: [String]
    /// The `do` part, `nil` when there is none.
    public var doPart: OperationPart?
    /// The `dump` part, `nil` when there is none.
    public var dumpPart: OperationPart?
    /// For a notification: the operation whose reply it carries.
    public var notify: String?
    /// For a notification: the multicast group it is sent to.
    public var multicastGroup: String?
    /// For an event: the attributes it carries, from its own attribute set.
    public var event: [AttributeReference]?

    /// Whether the operation needs `CAP_NET_ADMIN`.
    public var adminPerm: Bool { flags.contains("admin-perm") }
    /// Whether this is a notification or event rather than a request.
    public var isNotification: Bool { notify != nil || event != nil }
}

/// A `do` or a `dump`: the attributes of its request and its reply.
public struct OperationPart: Sendable, Equatable {
    /// Request attributes in spec order, `nil` when the spec lists no request.
    public var request: [AttributeReference]?
    /// Reply attributes in spec order, `nil` when the spec lists no reply.
    public var reply: [AttributeReference]?
}

/// An attribute named in a request or reply, with its id.
public struct AttributeReference: Sendable, Equatable {
    public var name: String
    public var id: UInt16
}

/// A multicast group.
public struct MulticastGroup: Sendable, Equatable {
    public var name: String
    public var flags: [String]
}

/// An integer of either sign across the whole 64-bit range of both, for
/// comparing bounds of u64 and s64 attributes.
enum WideInt: Equatable, Comparable, Sendable, CustomStringConvertible {
    /// A value that fits Int64 (negative or not).
    case signed(Int64)
    /// A value above Int64.max, or any unsigned one.
    case unsigned(UInt64)

    static let zero = WideInt.signed(0)

    init(_ value: Int) { self = .signed(Int64(value)) }

    /// Negative values as (true, magnitude), which is never 0; others as (false, value).
    private var parts: (negative: Bool, magnitude: UInt64) {
        switch self {
        case .signed(let value): return (value < 0, value.magnitude)
        case .unsigned(let value): return (false, value)
        }
    }

    var asInt64: Int64? {
        let (negative, magnitude) = parts
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    var asUInt64: UInt64? {
        let (negative, magnitude) = parts
        return negative && magnitude != 0 ? nil : magnitude
    }

    static func < (lhs: WideInt, rhs: WideInt) -> Bool {
        let left = lhs.parts
        let right = rhs.parts
        switch (left.negative, right.negative) {
        case (true, false): return true
        case (false, true): return false
        case (true, true): return left.magnitude > right.magnitude
        case (false, false): return left.magnitude < right.magnitude
        }
    }

    static func == (lhs: WideInt, rhs: WideInt) -> Bool {
        let left = lhs.parts
        let right = rhs.parts
        return left.negative == right.negative && left.magnitude == right.magnitude
    }

    var description: String {
        let (negative, magnitude) = parts
        return negative ? "-\(magnitude)" : "\(magnitude)"
    }
}
