/// What one subdevice holds on its parent: the plugin's plan for an
/// instance, which the host applies whole or not at all.
public struct Allocation: Sendable, Hashable, Codable {
    /// Amounts taken from the parent's counters.
    public var counters: CounterAmounts
    /// Where on the parent the instance sits (a WQ id, a framebuffer
    /// offset); two instances of a parent never share one. `nil` when the
    /// type has no placement.
    public var placement: UInt64?
    /// Whether the instance needs a PASID of its own. The host takes one
    /// from the parent's `pasids` counter and assigns the number.
    public var pasid: Bool
    /// Facts about the instance, reported with it (`wq-id 3`).
    public var details: [Fact]

    public init(counters: CounterAmounts = [:], placement: UInt64? = nil, pasid: Bool = false, details: [Fact] = []) {
        self.counters = counters
        self.placement = placement
        self.pasid = pasid
        self.details = details
    }
}

/// An existing subdevice, as a plugin sees it when it plans.
public struct InstanceState: Sendable, Hashable, Codable {
    /// Index within the parent.
    public var index: UInt32
    public var type: String
    /// Every parameter's value, defaults included.
    public var params: [String: ParamValue]
    public var allocation: Allocation

    public init(index: UInt32, type: String, params: [String: ParamValue], allocation: Allocation) {
        self.index = index
        self.type = type
        self.params = params
        self.allocation = allocation
    }
}

/// A parent as a plugin sees it when it plans: its hardware description,
/// what the plugin said of it, and what its subdevices hold now.
///
/// `free(_:)` and `placements` answer from running totals kept as
/// instances come and go, so a plugin's question costs the same with a
/// million subdevices as with one. `instances` is in no particular order.
public struct ParentState: Sendable, Hashable, Codable {
    /// The fields, in one object that copies share until one of them
    /// changes: the host lends a parent's view to the plugin on every
    /// create and delete, and a copy of eight lists and strings was
    /// retained and released again each time.
    private final class Storage: @unchecked Sendable {
        // Unchecked: changed only through `ParentState`'s mutating members,
        // and only when uniquely referenced, as `Array`'s storage is. For
        // the same reason no access can overlap another, so none is
        // checked at run time (that was 750 instructions of a create).
        @exclusivity(unchecked) var hardware: HardwareConfig
        @exclusivity(unchecked) var spec: ParentSpec
        @exclusivity(unchecked) var instances: [InstanceState]
        /// Sum of each of `spec.counters` over the instances, by position.
        @exclusivity(unchecked) var reserved: [UInt64]
        /// Sums of counters the spec does not declare, which a checked
        /// plan never takes but a list of instances set whole may.
        @exclusivity(unchecked) var undeclared: [String: UInt64]
        /// Placements taken by the subdevices.
        @exclusivity(unchecked) var placements: Set<UInt64>

        init(hardware: HardwareConfig, spec: ParentSpec, instances: [InstanceState],
             reserved: [UInt64], undeclared: [String: UInt64], placements: Set<UInt64>) {
            self.hardware = hardware
            self.spec = spec
            self.instances = instances
            self.reserved = reserved
            self.undeclared = undeclared
            self.placements = placements
        }

        func copy() -> Storage {
            Storage(hardware: hardware, spec: spec, instances: instances, reserved: reserved,
                    undeclared: undeclared, placements: placements)
        }

        /// Where counter `name` is in `spec.counters`: a scan of a few
        /// names, cheaper than hashing one.
        func position(of name: String) -> Int? {
            spec.counters.firstIndex { $0.name == name }
        }
    }

    private var storage: Storage

    /// The storage, copied first when another value shares it.
    private var writable: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            return storage
        }
    }

    public var hardware: HardwareConfig {
        get { storage.hardware }
        set { writable.hardware = newValue }
    }
    /// Setting the spec recounts the totals, which follow its counters.
    public var spec: ParentSpec {
        get { storage.spec }
        set {
            writable.spec = newValue
            recount()
        }
    }
    /// The subdevices; setting the whole list recounts the totals.
    public var instances: [InstanceState] {
        get { storage.instances }
        set {
            writable.instances = newValue
            recount()
        }
    }
    /// Placements taken by the subdevices.
    public var placements: Set<UInt64> { storage.placements }

    public init(hardware: HardwareConfig, spec: ParentSpec, instances: [InstanceState]) {
        storage = Storage(hardware: hardware, spec: spec, instances: instances, reserved: [], undeclared: [:], placements: [])
        recount()
    }

    /// What is left of counter `name`.
    public func free(_ name: String) -> UInt64 {
        guard let position = storage.position(of: name) else { return 0 }
        let total = storage.spec.counters[position].total
        return total - Swift.min(total, storage.reserved[position])
    }

    /// What the instances hold of counter `name`.
    public func reserved(_ name: String) -> UInt64 {
        guard let position = storage.position(of: name) else { return storage.undeclared[name] ?? 0 }
        return storage.reserved[position]
    }

    /// Adds an instance, updating the totals in O(1).
    public mutating func append(_ instance: InstanceState) {
        writable.instances.append(instance)
        count(instance.allocation, adding: true)
    }

    /// Removes the instance at `position`, updating the totals in O(1); the
    /// last instance takes its place.
    @discardableResult
    public mutating func remove(at position: Int) -> InstanceState {
        writable.instances.swapAt(position, storage.instances.count - 1)
        let instance = writable.instances.removeLast()
        count(instance.allocation, adding: false)
        return instance
    }

    private mutating func recount() {
        writable.reserved = Array(repeating: 0, count: storage.spec.counters.count)
        writable.undeclared = [:]
        writable.placements = []
        for instance in storage.instances { count(instance.allocation, adding: true) }
    }

    /// Holds the writable storage in a local: nothing it calls asks for
    /// it again, which would find it shared and copy it.
    private mutating func count(_ allocation: Allocation, adding: Bool) {
        let storage = writable
        for (name, amount) in allocation.counters where amount > 0 {
            if let position = storage.position(of: name) {
                if adding { storage.reserved[position] &+= amount } else { storage.reserved[position] &-= amount }
            } else {
                if adding { storage.undeclared[name, default: 0] &+= amount } else { storage.undeclared[name, default: 0] &-= amount }
            }
        }
        if let placement = allocation.placement {
            if adding { storage.placements.insert(placement) } else { storage.placements.remove(placement) }
        }
    }

    // Only the instances go over the plugin ABI; the totals follow from them.
    private enum CodingKeys: String, CodingKey {
        case hardware, spec, instances
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(hardware: try container.decode(HardwareConfig.self, forKey: .hardware),
                  spec: try container.decode(ParentSpec.self, forKey: .spec),
                  instances: try container.decode([InstanceState].self, forKey: .instances))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hardware, forKey: .hardware)
        try container.encode(spec, forKey: .spec)
        try container.encode(instances, forKey: .instances)
    }

    public static func == (left: ParentState, right: ParentState) -> Bool {
        left.storage === right.storage
            || (left.hardware == right.hardware && left.spec == right.spec && left.instances == right.instances)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hardware)
        hasher.combine(spec)
        hasher.combine(instances)
    }
}

/// An error a plugin reports: an errno and a sentence for the operator.
public struct PluginError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var errno: Int32
    public var message: String

    public init(errno: Int32, message: String) {
        self.errno = errno
        self.message = message
    }

    public var description: String { message }

    /// `ENOSPC`: a counter or placement is short.
    public static func noSpace(_ message: String) -> PluginError { PluginError(errno: 28, message: message) }
    /// `EINVAL`: the request does not make sense for the type.
    public static func invalid(_ message: String) -> PluginError { PluginError(errno: 22, message: message) }
    /// `EOPNOTSUPP`: the plugin does not do that.
    public static func unsupported(_ message: String) -> PluginError { PluginError(errno: 95, message: message) }
    /// `EIO`: the (simulated) device failed.
    public static func deviceFailed(_ message: String) -> PluginError { PluginError(errno: 5, message: message) }
}
