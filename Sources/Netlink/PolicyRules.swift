extension PolicyValidator {
    /// One attribute's policy as the validator checks it: plain values
    /// only, so reading one copies no strings and retains nothing. The
    /// attribute's name, for errors, stays in the set's policy.
    struct Rule: Sendable {
        var id: UInt16
        var type: AttributeType
        var min: Int64?
        var max: UInt64?
        var minLength: Int?
        var maxLength: Int?
        var exactLength: Int?
        /// The number of the set a nest's children follow; -1 for none.
        var nestedSet: Int

        init(_ policy: AttributePolicy, setNumbers: [String: Int]) {
            id = policy.id
            type = policy.type
            min = policy.min
            max = policy.max
            minLength = policy.minLength
            maxLength = policy.maxLength
            exactLength = policy.exactLength
            nestedSet = policy.nestedSet.flatMap { setNumbers[$0] } ?? -1
        }
    }

    /// An attribute set's rules indexed by attribute type, as the kernel
    /// keeps a `struct nla_policy` array per set: made once, so a
    /// request's attributes are checked without a dictionary lookup each.
    public final class Rules: Sendable {
        /// The set as the spec gives it.
        public let policy: AttributeSetPolicy
        /// The rule for each type up to the largest, `nil` where the set has none.
        let byType: [Rule?]
        /// A table of where each type last occurs, all absent: copied for
        /// each request, which is cheaper than making one.
        let emptyTable: [Int32]

        init(_ policy: AttributeSetPolicy, setNumbers: [String: Int]) {
            self.policy = policy
            let largest = Int(max(policy.maxType, policy.attributes.keys.max() ?? 0))
            var byType = [Rule?](repeating: nil, count: largest + 1)
            for (type, attribute) in policy.attributes { byType[Int(type)] = Rule(attribute, setNumbers: setNumbers) }
            self.byType = byType
            emptyTable = [Int32](repeating: -1, count: largest + 1)
        }

        /// Rules for `policy` on its own, whose nests are not followed: for a
        /// handler that reads a nest as a set of its own.
        public convenience init(_ policy: AttributeSetPolicy) {
            self.init(policy, setNumbers: [:])
        }

        /// The rule for attribute type `type`, if the set has one.
        func rule(_ type: UInt16) -> Rule? {
            Int(type) < byType.count ? byType[Int(type)] : nil
        }

        /// The spec's name of attribute type `type`, for errors.
        func name(of type: UInt16) -> String {
            policy.attributes[type]?.name ?? "attribute \(type)"
        }
    }

    /// One operation as the validator checks its requests: its policy and
    /// its request set's rules, made once. Handlers keep a reference, so a
    /// request carries its operation without copying its strings and lists.
    public final class Operation: Sendable {
        public let policy: OperationPolicy
        /// The rules of the request set; `nil` for an operation without one.
        public let rules: Rules?
        /// Whether it takes `do` and `dump` requests, and whether it is a
        /// notification or event, read from the policy once: reading an
        /// optional list of the policy on every request copied it, and
        /// freed the copy through the generic (run-time) path, about 120
        /// instructions each time.
        public let takesDo: Bool, takesDump: Bool, isNotification: Bool
        /// The attribute ids a `do` or a `dump` request may carry; empty
        /// when it takes none.
        public let doAttributes: [UInt16], dumpAttributes: [UInt16]

        init(_ policy: OperationPolicy, rules: Rules?) {
            self.policy = policy
            self.rules = rules
            takesDo = policy.doRequest != nil
            takesDump = policy.dumpRequest != nil
            isNotification = policy.isNotification
            doAttributes = policy.doRequest ?? []
            dumpAttributes = policy.dumpRequest ?? []
        }

        /// Whether it takes a `dump` request (`dump`) or a `do` request.
        @inlinable
        public func takes(dump: Bool) -> Bool { dump ? takesDump : takesDo }
    }
}
