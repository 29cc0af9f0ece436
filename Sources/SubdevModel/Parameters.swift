import SubdevUAPI

/// A parameter value as the model keeps it: integers (and bools) in
/// `value-int`, strings (and enums) in `value-str`.
public enum ParamValue: Sendable, Hashable, CustomStringConvertible {
    case int(UInt64)
    case string(String)

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return value
        }
    }
}

/// The schema of one parameter of a type.
public struct ParamSchema: Sendable, Hashable {
    public var name: String
    public var kind: SubdevParamKind
    /// Smallest value of an integer parameter; `nil` means the kind's minimum.
    public var min: UInt64?
    /// Largest value of an integer parameter; `nil` means the kind's maximum.
    public var max: UInt64?
    /// The value when a request omits it; `nil` makes the parameter required.
    public var defaultValue: ParamValue?
    /// The allowed values of an enum parameter.
    public var choices: [String]
    /// Whether `dev-set` may change it on a live subdevice.
    public var mutable: Bool
    public var doc: String

    public init(name: String, kind: SubdevParamKind, min: UInt64? = nil, max: UInt64? = nil,
                defaultValue: ParamValue? = nil, choices: [String] = [], mutable: Bool = false, doc: String) {
        self.name = name
        self.kind = kind
        self.min = min
        self.max = max
        self.defaultValue = defaultValue
        self.choices = choices
        self.mutable = mutable
        self.doc = doc
    }

    /// The range an integer value must fall in: the schema's, within the kind's.
    public var range: ClosedRange<UInt64> {
        let kindMax: UInt64
        switch kind {
        case .u8: kindMax = UInt64(UInt8.max)
        case .u16: kindMax = UInt64(UInt16.max)
        case .u32: kindMax = UInt64(UInt32.max)
        case .bool: kindMax = 1
        default: kindMax = UInt64.max
        }
        let low = min ?? 0
        return low...Swift.max(low, Swift.min(max ?? kindMax, kindMax))
    }

    /// Whether values travel in `value-int` (else in `value-str`).
    public var isInteger: Bool {
        switch kind {
        case .u8, .u16, .u32, .u64, .bool: return true
        case .string, .enum: return false
        }
    }

    /// Checks a value against the schema.
    ///
    /// - Returns: a sentence in the schema's words when the value is not
    ///   acceptable, such as `wq-size 300 out of range 1..128`.
    public func problem(with value: ParamValue) -> String? {
        switch (value, isInteger) {
        case (.int(let number), true):
            if !range.contains(number) {
                if kind == .bool { return "\(name) is a bool: 0 or 1, not \(number)" }
                return "\(name) \(number) out of range \(range.lowerBound)..\(range.upperBound)"
            }
            return nil
        case (.string(let text), false):
            if kind == .enum, !choices.contains(text) {
                return "\(name) \(text) is not one of \(choices.joined(separator: ", "))"
            }
            if text.utf8.count > SubdevConstant.stringValueLen {
                return "\(name) is longer than \(SubdevConstant.stringValueLen) bytes"
            }
            return nil
        case (.string, true):
            return "\(name) is a \(kind.name) and takes value-int, not value-str"
        case (.int, false):
            return "\(name) is a\(kind == .enum ? "n" : "") \(kind.name) and takes value-str, not value-int"
        }
    }
}
