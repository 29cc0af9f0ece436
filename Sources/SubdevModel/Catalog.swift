import SubdevUAPI

/// Resource counts by counter name, such as `["wq-entries": 16]`.
public typealias ResourceCost = [String: UInt64]

/// A type of subdevice a parent offers: its schema, its capabilities and
/// what one instance costs.
public struct DeviceType: Sendable {
    public var name: String
    public var typeClass: SubdevTypeClass
    public var deviceAPI: String
    public var description: String
    public var params: [ParamSchema]
    public var display: SubdevDisplay
    public var migratable: Bool
    /// What an instance with these (complete, validated) parameters reserves.
    public var cost: @Sendable ([String: ParamValue]) -> ResourceCost
    /// Whether the type uses a PASID (SIOV-style slices).
    public var usesPASID: Bool

    public init(name: String, typeClass: SubdevTypeClass, deviceAPI: String = "vfio-pci", description: String,
                params: [ParamSchema], display: SubdevDisplay = .none, migratable: Bool = false, usesPASID: Bool = false,
                cost: @escaping @Sendable ([String: ParamValue]) -> ResourceCost) {
        self.name = name
        self.typeClass = typeClass
        self.deviceAPI = deviceAPI
        self.description = description
        self.params = params
        self.display = display
        self.migratable = migratable
        self.usesPASID = usesPASID
        self.cost = cost
    }

    /// The schema of parameter `name`.
    public func param(_ name: String) -> ParamSchema? {
        params.first { $0.name == name }
    }

    /// The cost of an instance with every parameter at its default, used to
    /// say how many more fit.
    public var defaultCost: ResourceCost {
        var values: [String: ParamValue] = [:]
        for param in params { values[param.name] = param.defaultValue }
        return cost(values)
    }
}

/// A shared capacity counter of a parent.
public struct Counter: Sendable, Hashable {
    public var name: String
    public var total: UInt64
    public var reserved: UInt64

    public var free: UInt64 { total - reserved }
}

/// A parent (management device) that subdevices are carved out of.
public struct Parent: Sendable {
    public var bus: String
    public var name: String
    public var vendor: String
    public var driver: String
    public var iommuGroup: UInt32
    public var types: [DeviceType]
    /// Counters in the order they are reported.
    public var counters: [Counter]

    public init(bus: String, name: String, vendor: String, driver: String, iommuGroup: UInt32,
                types: [DeviceType], counters: [(String, UInt64)]) {
        self.bus = bus
        self.name = name
        self.vendor = vendor
        self.driver = driver
        self.iommuGroup = iommuGroup
        self.types = types
        self.counters = counters.map { Counter(name: $0.0, total: $0.1, reserved: 0) }
    }

    /// `bus/name`, such as `pci/0000:6a:01.0`.
    public var handle: String { "\(bus)/\(name)" }

    public func type(_ name: String) -> DeviceType? {
        types.first { $0.name == name }
    }

    /// The counter that `cost` does not fit in, if any, with what is needed and free.
    public func shortfall(for cost: ResourceCost, returning refund: ResourceCost = [:]) -> (counter: String, needed: UInt64, free: UInt64)? {
        for counter in counters {
            let needed = cost[counter.name] ?? 0
            let free = counter.free + (refund[counter.name] ?? 0)
            if needed > free { return (counter.name, needed, free) }
        }
        if let unknown = cost.keys.sorted().first(where: { name in !counters.contains { $0.name == name } }) {
            return (unknown, cost[unknown] ?? 0, 0)
        }
        return nil
    }

    /// How many more instances costing `cost` fit now.
    public func instancesThatFit(_ cost: ResourceCost) -> UInt32 {
        var fit = UInt64(UInt32.max)
        for (name, amount) in cost where amount > 0 {
            guard let counter = counters.first(where: { $0.name == name }) else { return 0 }
            fit = min(fit, counter.free / amount)
        }
        return UInt32(fit)
    }

    mutating func reserve(_ cost: ResourceCost) {
        for index in counters.indices { counters[index].reserved += cost[counters[index].name] ?? 0 }
    }

    mutating func release(_ cost: ResourceCost) {
        for index in counters.indices {
            counters[index].reserved -= min(counters[index].reserved, cost[counters[index].name] ?? 0)
        }
    }
}
