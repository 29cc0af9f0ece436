import SubdevPlugin

/// A parent (management device) as the host keeps it: where it sits, the
/// plugin that drives it, and what the plugin said of it.
public struct Parent: Sendable {
    /// What a parent is from the moment it is found, shared by every copy:
    /// the table and the handlers copy a parent on most requests, and a
    /// copy then retains this one object, not each of its strings and lists.
    private final class Identity: Sendable {
        let bus: String
        let name: String
        let handle: String
        let plugin: any DevicePlugin
        let hardware: HardwareConfig
        let spec: ParentSpec

        init(bus: String, name: String, plugin: any DevicePlugin, hardware: HardwareConfig, spec: ParentSpec) {
            self.bus = bus
            self.name = name
            handle = "\(bus)/\(name)"
            self.plugin = plugin
            self.hardware = hardware
            self.spec = spec
        }
    }

    private let identity: Identity
    public var bus: String { identity.bus }
    public var name: String { identity.name }
    /// `bus/name`, such as `pci/0000:6a:01.0`: stored, so that the
    /// subdevices that name it share one string.
    public var handle: String { identity.handle }
    public var plugin: any DevicePlugin { identity.plugin }
    /// Its node of the hardware description, handed to the plugin on every call.
    public var hardware: HardwareConfig { identity.hardware }
    public var spec: ParentSpec { identity.spec }
    public var iommuGroup: UInt32
    /// IOVA its subdevices may not map (the MSI window, by default).
    public var reservedIOVA: [IOVARange]
    /// Errors reported on the parent itself.
    public var aerStats = AERStats()
    /// The machine's capacity clock when this parent's capacity last
    /// changed (see `Machine.generation(of:)`); kept here, so a create or
    /// delete that changes it finds no entry by handle.
    public internal(set) var capacityGeneration: UInt64 = 0

    public init(bus: String, name: String, iommuGroup: UInt32, plugin: any DevicePlugin,
                hardware: HardwareConfig, spec: ParentSpec, reservedIOVA: [IOVARange] = [.x86MSIWindow]) {
        identity = Identity(bus: bus, name: name, plugin: plugin, hardware: hardware, spec: spec)
        self.iommuGroup = iommuGroup
        self.reservedIOVA = reservedIOVA
    }

    public func type(_ name: String) -> TypeSpec? { spec.type(name) }

    /// How subdevices of type `name` register: read in place, without
    /// copying the type out as `type(_:)` does (on every create and delete).
    public func registration(of name: String) -> Registration? {
        let types = identity.spec.types
        for position in types.indices where types[position].name == name { return types[position].registration }
        return nil
    }
}

/// A shared counter with what is reserved of it.
public struct CounterUsage: Sendable, Hashable {
    public var name: String
    public var total: UInt64
    public var reserved: UInt64

    public var free: UInt64 { total - min(total, reserved) }
}
