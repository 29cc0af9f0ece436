/// A vendor plugin: supplies the types of the parents it drives, their
/// parameters and capacity, and plans what each subdevice holds.
///
/// Plugins plan; the host applies. `allocate` returns what an instance
/// would hold given the parent's state; the host checks the plan against
/// the counters and placements and applies it whole, or reports the
/// shortfall and changes nothing. So a plugin cannot leave a reservation
/// behind, whatever it does, and `destroy` returns exactly what was taken.
///
/// Methods are called one at a time (the host serialises requests). For
/// `allocate` and `reallocate` from a request, parameters are already
/// checked against the type's schema and completed with defaults.
public protocol DevicePlugin: Sendable {
    /// The driver name a hardware description names, such as `idxd`.
    var driver: String { get }

    /// Describes a parent from its hardware description: vendor, types,
    /// counters. Throws `ConfigError` naming the field at fault.
    func describe(_ hardware: HardwareConfig) throws -> ParentSpec

    /// Plans a new instance of `type` with `params` on `parent`.
    ///
    /// - Throws: `PluginError`, for example `ENOSPC` naming what is short.
    func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation

    /// Plans an existing instance with changed (mutable) parameters;
    /// `parent` no longer counts the instance. A live instance does not
    /// move: the default plans it afresh for its counters, then keeps the
    /// instance's placement and details, if it had a placement.
    func reallocate(_ instance: InstanceState, type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation

    /// How many more instances of `type`, with default parameters, fit on
    /// `parent`; `nil` lets the host find out by calling `allocate` with the
    /// defaults (required parameters absent) one instance after another.
    /// That costs a call per instance, so a plugin whose parents hold many
    /// should answer here.
    func available(type: TypeSpec, in parent: ParentState) -> UInt32?

    /// Resets an instance's (simulated) function, for error recovery.
    func reset(_ instance: InstanceState, in parent: ParentState) throws

    /// The instance is going; the host returns what it held.
    func destroy(_ instance: InstanceState, in parent: ParentState)

    /// Why a subdevice like `source` cannot migrate to one like
    /// `destination`, whose type `type` this plugin supplies; empty when it
    /// can. One sentence per reason, naming the value at fault. The default
    /// is `MigrationRules.standard`.
    func migrationProblems(from source: MigrationSide, to destination: MigrationSide, type: TypeSpec) -> [String]
}

extension DevicePlugin {
    public func reallocate(_ instance: InstanceState, type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        var plan = try allocate(type: type, params: params, in: parent)
        if let placement = instance.allocation.placement {
            plan.placement = placement
            plan.details = instance.allocation.details
        }
        return plan
    }

    public func available(type: TypeSpec, in parent: ParentState) -> UInt32? { nil }

    public func reset(_ instance: InstanceState, in parent: ParentState) throws {}

    public func destroy(_ instance: InstanceState, in parent: ParentState) {}

    public func migrationProblems(from source: MigrationSide, to destination: MigrationSide, type: TypeSpec) -> [String] {
        MigrationRules.standard(from: source, to: destination, type: type)
    }
}
