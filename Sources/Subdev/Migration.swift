/// One side of a migration compatibility check (`dev-compat`).
public enum MigrationEndpoint: Sendable, Hashable {
    /// A live subdevice of the machine asked.
    case live(DeviceHandle)
    /// A description: exported with `subdev -j dev show` on this host or
    /// another, or a subdevice yet to be created.
    case described(DeviceDescription)
}

/// A subdevice as a description carries it: enough to judge migration.
public struct DeviceDescription: Sendable, Hashable {
    public var parent: ParentHandle
    public var type: String
    /// Parameter values; for a type the model knows, missing ones take
    /// their defaults.
    public var params: [String: ParamValue]
    /// The type's migration data; `nil` when the type does not migrate.
    public var migrationCompat: String?

    public init(parent: ParentHandle, type: String, params: [String: ParamValue] = [:], migrationCompat: String? = nil) {
        self.parent = parent
        self.type = type
        self.params = params
        self.migrationCompat = migrationCompat
    }
}

/// The answer of a compatibility check.
public struct CompatibilityVerdict: Sendable, Hashable {
    public var compatible: Bool
    /// Why not, one sentence per reason; empty when compatible.
    public var reasons: [String]

    public init(compatible: Bool, reasons: [String]) {
        self.compatible = compatible
        self.reasons = reasons
    }
}
