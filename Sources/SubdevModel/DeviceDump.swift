import Netlink

/// The subdevices of a `dev-get` dump, encoded one at a time as the
/// answer is sent, parent by parent.
struct DeviceDump: DumpSource {
    /// The handlers as they were when the dump began: a dump is read
    /// before the model changes again.
    let handlers: FamilyHandlers
    var devices: DeviceTable.OrderedDevices
    /// The encoding of the parent of the last subdevice: looked up once
    /// per parent, not once per subdevice.
    var context: ParentEncoding?

    init(handlers: FamilyHandlers, devices: DeviceTable.OrderedDevices) {
        self.handlers = handlers
        self.devices = devices
    }

    mutating func next(into out: inout AttributeEncoder) -> Bool {
        guard let device = devices.next() else { return false }
        if context?.handle != device.parentHandle { context = handlers.parentEncoding(of: device) }
        // Hotplug removal takes a parent's subdevices before the parent,
        // so each has one; were one orphaned, it would go out as an empty
        // message, as `encodeDevice` makes it.
        if let context {
            ObjectEncoding.device(device, in: context, holders: handlers.registry.holders(device.vfioIndex), into: &out)
        }
        return true
    }
}
