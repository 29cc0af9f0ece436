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
public struct PolicyValidator: Sendable {
    public let family: FamilyPolicy
    /// Each operation's request attribute set, by command number: found
    /// for every request without hashing the set's name.
    private let requestSets: [AttributeSetPolicy?]
    /// For each of those, an empty table of where each type last occurs,
    /// copied for every request: cheaper than making one.
    private let emptyTables: [[Int32]]

    public init(family: FamilyPolicy) {
        self.family = family
        var sets = [AttributeSetPolicy?](repeating: nil, count: Int(family.operations.keys.max() ?? 0) + 1)
        for (command, operation) in family.operations {
            sets[Int(command)] = operation.attributeSet.flatMap { family.sets[$0] }
        }
        requestSets = sets
        emptyTables = sets.map { set in
            [Int32](repeating: -1, count: Int(set.map { max($0.maxType, $0.attributes.keys.max() ?? 0) } ?? 0) + 1)
        }
    }

    /// The attribute set the requests of `operation`, one of the family's,
    /// carry; `nil` for an operation without one.
    public func requestSet(of operation: OperationPolicy) -> AttributeSetPolicy? {
        Int(operation.command) < requestSets.count ? requestSets[Int(operation.command)] : nil
    }

    /// Validates the attributes of `message` for `operation`, where they
    /// lie: nothing is copied or parsed into arrays on the way.
    ///
    /// - Returns: a decoder over the request's top-level attributes, which
    ///   shares the message's bytes.
    public func validate(_ message: GenericMessage, operation: OperationPolicy, dump: Bool) throws -> AttributeDecoder {
        guard let set = requestSet(of: operation) else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.name) takes no requests")
        }
        // A handful of ids: a linear search beats building a set per request.
        let allowed = (dump ? operation.dumpRequest : operation.doRequest) ?? []
        let area = message.attributeArea
        let baseOffset = GenericMessage.attributesOffset
        // Where each type's last instance starts, as `nla_parse` fills `tb[]`.
        var lastByType = emptyTables[Int(operation.command)]
        try area.withUnsafeBytes { raw in
            try checkFraming(raw, baseOffset: baseOffset, in: set.name)
            try AttributeDecoder.walk(raw, baseOffset: baseOffset) { attribute in
                guard let policy = set.attributes[attribute.type] else {
                    throw NetlinkError(errno: EINVAL, message: "unknown attribute type \(attribute.type) in \(set.name)",
                                       offset: UInt32(attribute.offset))
                }
                guard allowed.contains(attribute.type) else {
                    throw NetlinkError(errno: EINVAL, message: "attribute \(policy.name) is not accepted by \(operation.name)\(dump ? " dump" : "")",
                                       offset: UInt32(attribute.offset))
                }
                try check(attribute, against: policy)
                // The set has a policy for the type, so the table has room for it.
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

    /// Checks one attribute, and what it nests, against its policy.
    public func check(_ attribute: Attribute, against policy: AttributePolicy) throws {
        try attribute.payload.withUnsafeBytes { raw in
            try check(AttributeDecoder.Found(raw: raw, offset: attribute.offset, rawType: attribute.rawType), against: policy)
        }
    }

    /// Checks one attribute, read in place, and what it nests, against its policy.
    func check(_ attribute: AttributeDecoder.Found, against policy: AttributePolicy) throws {
        func fail(_ problem: String) -> NetlinkError {
            NetlinkError(errno: EINVAL, message: "\(policy.name) \(problem)", offset: UInt32(attribute.offset))
        }
        let payload = attribute.raw
        let length = payload.count
        let nestedFlag = attribute.rawType & Attribute.nestedFlag != 0
        if nestedFlag, policy.type != .nest {
            throw fail("has NLA_F_NESTED set but is a \(policy.type.rawValue), not a nest")
        }
        if let size = policy.type.fixedSize, length != size {
            throw fail("is \(length) bytes long, a \(policy.type.rawValue) takes \(size)")
        }
        switch policy.type {
        case .u8, .u16, .u32, .u64, .uint:
            guard policy.type != .uint || length == 4 || length == 8 else {
                throw fail("is \(length) bytes long, a uint takes 4 or 8")
            }
            let value: UInt64 = length == 1 ? UInt64(payload.loadLE(UInt8.self, at: 0))
                : length == 2 ? UInt64(payload.loadLE(UInt16.self, at: 0))
                : length == 4 ? UInt64(payload.loadLE(UInt32.self, at: 0))
                : payload.loadLE(UInt64.self, at: 0)
            let low = UInt64(max(0, policy.min ?? 0))
            let high = policy.max ?? UInt64.max
            if value < low || value > high {
                throw fail("\(value) out of range \(low)..\(high)")
            }
        case .s8, .s16, .s32, .s64, .sint:
            guard policy.type != .sint || length == 4 || length == 8 else {
                throw fail("is \(length) bytes long, a sint takes 4 or 8")
            }
            let value: Int64 = length == 1 ? Int64(payload.loadLE(Int8.self, at: 0))
                : length == 2 ? Int64(payload.loadLE(Int16.self, at: 0))
                : length == 4 ? Int64(payload.loadLE(Int32.self, at: 0))
                : payload.loadLE(Int64.self, at: 0)
            if let low = policy.min, value < low { throw fail("\(value) out of range, below \(low)") }
            if let high = policy.max, value >= 0, UInt64(value) > high { throw fail("\(value) out of range, above \(high)") }
        case .string:
            guard let base = payload.baseAddress, length > 0, payload.load(fromByteOffset: length - 1, as: UInt8.self) == 0 else {
                throw fail("is not a NUL-terminated string")
            }
            // Up to the first NUL, which the check above guarantees.
            let text = memchr(base, 0, length).map { base.distance(to: UnsafeRawPointer($0)) } ?? length
            if let maximum = policy.maxLength, text > maximum {
                throw fail("is \(text) bytes long, longer than \(maximum)")
            }
            if let minimum = policy.minLength, text < minimum {
                throw fail("is \(text) bytes long, shorter than \(minimum)")
            }
        case .binary:
            if let exact = policy.exactLength, length != exact { throw fail("is \(length) bytes long, not \(exact)") }
            if let maximum = policy.maxLength, length > maximum { throw fail("is \(length) bytes long, longer than \(maximum)") }
            if let minimum = policy.minLength, length < minimum { throw fail("is \(length) bytes long, shorter than \(minimum)") }
        case .nest:
            guard nestedFlag else { throw fail("is a nest without NLA_F_NESTED") }
            guard let setName = policy.nestedSet, let set = family.sets[setName] else { return }
            let baseOffset = attribute.offset + Attribute.headerSize
            try checkFraming(payload, baseOffset: baseOffset, in: set.name)
            try AttributeDecoder.walk(payload, baseOffset: baseOffset) { child in
                guard let childPolicy = set.attributes[child.type] else {
                    throw NetlinkError(errno: EINVAL, message: "unknown attribute type \(child.type) in \(set.name), inside \(policy.name)",
                                       offset: UInt32(child.offset))
                }
                try check(child, against: childPolicy)
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
