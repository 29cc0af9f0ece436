/// What one subdevice holds on its parent: the plugin's plan for an
/// instance, which the host applies whole or not at all.
public struct Allocation: Sendable, Hashable, Codable {
    /// Amounts taken from the parent's counters.
    public var counters: [String: UInt64]
    /// Where on the parent the instance sits (a WQ id, a framebuffer
    /// offset); two instances of a parent never share one. `nil` when the
    /// type has no placement.
    public var placement: UInt64?
    /// Whether the instance needs a PASID of its own. The host takes one
    /// from the parent's `pasids` counter and assigns the number.
    public var pasid: Bool
    /// Facts about the instance, reported with it (`wq-id 3`).
    public var details: [Fact]

    public init(counters: [String: UInt64] = [:], placement: UInt64? = nil, pasid: Bool = false, details: [Fact] = []) {
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
public struct ParentState: Sendable, Hashable, Codable {
    public var hardware: HardwareConfig
    public var spec: ParentSpec
    public var instances: [InstanceState]

    public init(hardware: HardwareConfig, spec: ParentSpec, instances: [InstanceState]) {
        self.hardware = hardware
        self.spec = spec
        self.instances = instances
    }

    /// What is left of counter `name`.
    public func free(_ name: String) -> UInt64 {
        let total = spec.counters.first { $0.name == name }?.total ?? 0
        let used = instances.reduce(UInt64(0)) { $0 + ($1.allocation.counters[name] ?? 0) }
        return total - Swift.min(total, used)
    }

    /// Placements taken by the subdevices.
    public var placements: Set<UInt64> {
        Set(instances.compactMap(\.allocation.placement))
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
