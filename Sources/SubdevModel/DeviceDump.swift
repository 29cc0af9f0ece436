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
        guard let position = devices.nextPosition() else { return false }
        let (parentHandle, vfioIndex) = devices.table.withDevice(at: position) { ($0.pointee.parentHandle, $0.pointee.vfioIndex) }
        if context?.handle != parentHandle { context = handlers.parentEncoding(of: devices.table[position]) }
        // Hotplug removal takes a parent's subdevices before the parent,
        // so each has one; were one orphaned, it would go out as an empty
        // message, as `encodeDevice` makes it.
        guard let context else { return true }
        // The closure captures no handlers: capturing them copied the
        // whole struct (1.5k instructions).
        let holders = handlers.registry.holders(vfioIndex)
        devices.table.withDevice(at: position) { ObjectEncoding.device($0, in: context, holders: holders, into: &out) }
        return true
    }
}
