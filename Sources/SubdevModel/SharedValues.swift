import SubdevPlugin

/// Hands back one stored copy of each distinct plan and parameter list,
/// so subdevices made alike share their arrays and dictionaries instead
/// of holding a copy each: at a million subdevices that is most of the
/// model's memory. Bounded: past `limit` distinct values it starts over,
/// which only costs sharing, never correctness.
struct SharedValues: Sendable {
    static let limit = 4096

    private var allocations: Set<Allocation> = []
    private var paramLists: [ParamList: Params] = [:]
    /// The values handed back last: subdevices are mostly made in runs of
    /// alike ones, and comparing with the last is cheaper than hashing.
    private var lastAllocation: Allocation?
    private var lastParams: Params?

    /// A parameter list in schema order, and the same as a dictionary.
    typealias Params = (list: [(name: String, value: ParamValue)], dictionary: [String: ParamValue])

    /// A parameter list as a hashable key.
    private struct ParamList: Hashable {
        var names: [String]
        var values: [ParamValue]
    }

    mutating func allocation(_ plan: Allocation) -> Allocation {
        if let last = lastAllocation, last == plan { return last }
        let shared: Allocation
        if let stored = allocations.firstIndex(of: plan) {
            shared = allocations[stored]
        } else {
            if allocations.count >= Self.limit { allocations = [] }
            allocations.insert(plan)
            shared = plan
        }
        lastAllocation = shared
        return shared
    }

    mutating func params(_ list: [(name: String, value: ParamValue)]) -> Params {
        if let last = lastParams, Self.same(last.list, list) { return last }
        let key = ParamList(names: list.map(\.name), values: list.map(\.value))
        let params: Params
        if let stored = paramLists[key] {
            params = stored
        } else {
            if paramLists.count >= Self.limit { paramLists = [:] }
            params = (list, Dictionary(list.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))
            paramLists[key] = params
        }
        lastParams = params
        return params
    }

    private static func same(_ a: [(name: String, value: ParamValue)], _ b: [(name: String, value: ParamValue)]) -> Bool {
        guard a.count == b.count else { return false }
        // Compared where the lists keep their entries: `zip` handed each
        // pair over as copies, retaining and releasing names and values.
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                // A list handed back before is the stored one itself: no need to compare its values.
                if a.baseAddress == b.baseAddress { return true }
                for position in a.indices where a[position].name != b[position].name || a[position].value != b[position].value {
                    return false
                }
                return true
            }
        }
    }
}
