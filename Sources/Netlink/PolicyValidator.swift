#if canImport(Glibc)
import Glibc
#endif

/// Validates requests against a family's policy, strictly, as the kernel's
/// `genl` core does with `NL_VALIDATE_STRICT` before a handler runs: unknown
/// attributes, attributes the operation does not take, wrong lengths,
/// out-of-range values, missing or unexpected `NLA_F_NESTED`, trailing bytes.
///
/// Each error is `EINVAL` with a sentence that names the attribute and the
/// offset of that attribute in the request, for the extended ACK.
///
/// A class, made once per family: a struct's method called through the
/// server's stored copy had the whole validator, family policy included,
/// copied and released around each call.
public final class PolicyValidator: Sendable {
    public let family: FamilyPolicy
    /// The family's operations by command number, each with its request
    /// set's rules: found for every request by index, without hashing.
    private let operations: [Operation?]
    /// Every attribute set's rules, by the number a nest's rule names.
    private let sets: [Rules]

    public init(family: FamilyPolicy) {
        self.family = family
        var rulesByName: [String: Rules] = [:]
        // Nests name sets; number the sets first, so a rule can point at one.
        let names = family.sets.keys.sorted()
        let numbers = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var all: [Rules] = []
        for name in names {
            guard let set = family.sets[name] else { continue }
            let rules = Rules(set, setNumbers: numbers)
            all.append(rules)
            rulesByName[name] = rules
        }
        sets = all
        var operations = [Operation?](repeating: nil, count: Int(family.operations.keys.max() ?? 0) + 1)
        for (command, operation) in family.operations {
            operations[Int(command)] = Operation(operation, rules: operation.attributeSet.flatMap { rulesByName[$0] })
        }
        self.operations = operations
    }

    /// The operation with command number `command`, if the family has one.
    public func operation(_ command: UInt8) -> Operation? {
        Int(command) < operations.count ? operations[Int(command)] : nil
    }

    /// Validates the attributes of `message` for `operation`; see
    /// `validate(_:operation:dump:)` with an `Operation`.
    public func validate(_ message: GenericMessage, operation: OperationPolicy, dump: Bool) throws -> AttributeDecoder {
        guard let found = self.operation(operation.command) else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.name) takes no requests")
        }
        return try validate(message, operation: found, dump: dump)
    }

    /// Validates the attributes of `message` for `operation`, where they
    /// lie: nothing is copied or parsed into arrays on the way.
    ///
    /// - Returns: a decoder over the request's top-level attributes, which
    ///   shares the message's bytes.
    public func validate(_ message: GenericMessage, operation: Operation, dump: Bool) throws -> AttributeDecoder {
        guard let rules = operation.rules else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.policy.name) takes no requests")
        }
        // A handful of ids: a linear search beats building a set per request.
        let allowed = dump ? operation.dumpAttributes : operation.doAttributes
        let area = message.attributeArea
        let baseOffset = GenericMessage.attributesOffset
        // Where each type's last instance starts, as `nla_parse` fills `tb[]`.
        var lastByType = rules.emptyTable
        try area.withUnsafeBytes { raw in
            try checkFraming(raw, baseOffset: baseOffset, in: rules.policy.name)
            try AttributeDecoder.walk(raw, baseOffset: baseOffset) { attribute in
                guard let rule = rules.rule(attribute.type) else {
                    throw NetlinkError(errno: EINVAL, message: "unknown attribute type \(attribute.type) in \(rules.policy.name)",
                                       offset: UInt32(attribute.offset))
                }
                guard allowed.contains(attribute.type) else {
                    throw NetlinkError(errno: EINVAL, message: "attribute \(rules.name(of: attribute.type)) is not accepted by \(operation.policy.name)\(dump ? " dump" : "")",
                                       offset: UInt32(attribute.offset))
                }
                try check(attribute, against: rule, in: rules)
                // The set has a rule for the type, so the table has room for it.
                lastByType[Int(attribute.type)] = Int32(attribute.offset - baseOffset)
            }
        }
        return AttributeDecoder(checked: area, baseOffset: baseOffset, lastByType: lastByType)
    }

    /// Checks that every `nla_len` of an attribute area stays inside it,
    /// then that no bytes are left over after the last attribute, in that
    /// order, as `nla_validate` reports them.
    private func checkFraming(_ raw: UnsafeRawBufferPointer, baseOffset: Int, in setName: String) throws {
        let leftover = try AttributeDecoder.checkFraming(raw, baseOffset: baseOffset)
        if leftover > 0 {
            throw NetlinkError(errno: EINVAL, message: "\(leftover) bytes left over after the attributes of \(setName)",
                               offset: UInt32(baseOffset + raw.count - leftover))
        }
    }

    /// Checks one attribute, read in place, and what it nests, against
    /// `rule`, one of `rules`.
    func check(_ attribute: AttributeDecoder.Found, against rule: Rule, in rules: Rules) throws {
        func fail(_ problem: String) -> NetlinkError {
            NetlinkError(errno: EINVAL, message: "\(rules.name(of: rule.id)) \(problem)", offset: UInt32(attribute.offset))
        }
        let payload = attribute.raw
        let length = payload.count
        let nestedFlag = attribute.rawType & Attribute.nestedFlag != 0
        if nestedFlag, rule.type != .nest {
            throw fail("has NLA_F_NESTED set but is a \(rule.type.rawValue), not a nest")
        }
        if let size = rule.type.fixedSize, length != size {
            throw fail("is \(length) bytes long, a \(rule.type.rawValue) takes \(size)")
        }
        switch rule.type {
        case .u8, .u16, .u32, .u64, .uint:
            guard rule.type != .uint || length == 4 || length == 8 else {
                throw fail("is \(length) bytes long, a uint takes 4 or 8")
            }
            let value: UInt64 = length == 1 ? UInt64(payload.loadLE(UInt8.self, at: 0))
                : length == 2 ? UInt64(payload.loadLE(UInt16.self, at: 0))
                : length == 4 ? UInt64(payload.loadLE(UInt32.self, at: 0))
                : payload.loadLE(UInt64.self, at: 0)
            let low = UInt64(max(0, rule.min ?? 0))
            let high = rule.max ?? UInt64.max
            if value < low || value > high {
                throw fail("\(value) out of range \(low)..\(high)")
            }
        case .s8, .s16, .s32, .s64, .sint:
            guard rule.type != .sint || length == 4 || length == 8 else {
                throw fail("is \(length) bytes long, a sint takes 4 or 8")
            }
            let value: Int64 = length == 1 ? Int64(payload.loadLE(Int8.self, at: 0))
                : length == 2 ? Int64(payload.loadLE(Int16.self, at: 0))
                : length == 4 ? Int64(payload.loadLE(Int32.self, at: 0))
                : payload.loadLE(Int64.self, at: 0)
            if let low = rule.min, value < low { throw fail("\(value) out of range, below \(low)") }
            if let high = rule.max, value >= 0, UInt64(value) > high { throw fail("\(value) out of range, above \(high)") }
        case .string:
            guard let base = payload.baseAddress, length > 0, payload.load(fromByteOffset: length - 1, as: UInt8.self) == 0 else {
                throw fail("is not a NUL-terminated string")
            }
            // Up to the first NUL, which the check above guarantees.
            let text = memchr(base, 0, length).map { base.distance(to: UnsafeRawPointer($0)) } ?? length
            if let maximum = rule.maxLength, text > maximum {
                throw fail("is \(text) bytes long, longer than \(maximum)")
            }
            if let minimum = rule.minLength, text < minimum {
                throw fail("is \(text) bytes long, shorter than \(minimum)")
            }
        case .binary:
            if let exact = rule.exactLength, length != exact { throw fail("is \(length) bytes long, not \(exact)") }
            if let maximum = rule.maxLength, length > maximum { throw fail("is \(length) bytes long, longer than \(maximum)") }
            if let minimum = rule.minLength, length < minimum { throw fail("is \(length) bytes long, shorter than \(minimum)") }
        case .nest:
            guard nestedFlag else { throw fail("is a nest without NLA_F_NESTED") }
            guard rule.nestedSet >= 0, rule.nestedSet < sets.count else { return }
            let set = sets[rule.nestedSet]
            let baseOffset = attribute.offset + Attribute.headerSize
            try checkFraming(payload, baseOffset: baseOffset, in: set.policy.name)
            try AttributeDecoder.walk(payload, baseOffset: baseOffset) { child in
                guard let childRule = set.rule(child.type) else {
                    throw NetlinkError(errno: EINVAL, message: "unknown attribute type \(child.type) in \(set.policy.name), inside \(rules.name(of: rule.id))",
                                       offset: UInt32(child.offset))
                }
                try check(child, against: childRule, in: set)
            }
        case .flag:
            break
        }
    }

    /// The error for a required attribute that is missing: `EINVAL`, the
    /// attribute's name, and its type in `NLMSGERR_ATTR_MISS_TYPE`.
    public static func missing(_ policy: AttributePolicy, for operation: String, nestOffset: Int? = nil) -> NetlinkError {
        NetlinkError(errno: EINVAL, message: "\(operation) needs attribute \(policy.name)",
                     missingType: UInt32(policy.id), missingNest: nestOffset.map(UInt32.init))
    }
}
