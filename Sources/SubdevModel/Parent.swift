import SubdevPlugin

/// A parent (management device) as the host keeps it: where it sits, the
/// plugin that drives it, and what the plugin said of it.
public struct Parent: Sendable {
    public let bus: String
    public let name: String
    /// `bus/name`, such as `pci/0000:6a:01.0`: stored, so that the
    /// subdevices that name it share one string.
    public let handle: String
    public var iommuGroup: UInt32
    public var plugin: any DevicePlugin
    /// Its node of the hardware description, handed to the plugin on every call.
    public var hardware: HardwareConfig
    public var spec: ParentSpec
    /// IOVA its subdevices may not map (the MSI window, by default).
    public var reservedIOVA: [IOVARange]
    /// Errors reported on the parent itself.
    public var aerStats = AERStats()

    public init(bus: String, name: String, iommuGroup: UInt32, plugin: any DevicePlugin,
                hardware: HardwareConfig, spec: ParentSpec, reservedIOVA: [IOVARange] = [.x86MSIWindow]) {
        self.bus = bus
        self.name = name
        handle = "\(bus)/\(name)"
        self.iommuGroup = iommuGroup
        self.plugin = plugin
        self.hardware = hardware
        self.spec = spec
        self.reservedIOVA = reservedIOVA
    }

    public func type(_ name: String) -> TypeSpec? { spec.type(name) }
}

/// A shared counter with what is reserved of it.
public struct CounterUsage: Sendable, Hashable {
    public var name: String
    public var total: UInt64
    public var reserved: UInt64

    public var free: UInt64 { total - min(total, reserved) }
}
