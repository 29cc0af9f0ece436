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

    /// A parameter list in schema order, and the same as a dictionary.
    typealias Params = (list: [(name: String, value: ParamValue)], dictionary: [String: ParamValue])

    /// A parameter list as a hashable key.
    private struct ParamList: Hashable {
        var names: [String]
        var values: [ParamValue]
    }

    mutating func allocation(_ plan: Allocation) -> Allocation {
        if let stored = allocations.firstIndex(of: plan) { return allocations[stored] }
        if allocations.count >= Self.limit { allocations = [] }
        allocations.insert(plan)
        return plan
    }

    mutating func params(_ list: [(name: String, value: ParamValue)]) -> Params {
        let key = ParamList(names: list.map(\.name), values: list.map(\.value))
        if let stored = paramLists[key] { return stored }
        if paramLists.count >= Self.limit { paramLists = [:] }
        let params = (list, Dictionary(list.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))
        paramLists[key] = params
        return params
    }
}
