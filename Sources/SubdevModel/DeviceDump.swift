import Netlink

/// The subdevices of a `dev-get` dump, encoded one at a time as the
/// answer is sent, parent by parent.
struct DeviceDump: DumpSource {
    /// The handlers as they were when the dump began: a dump is read
    /// before the model changes again.
    let handlers: FamilyHandlers
    var devices: DeviceTable.OrderedDevices
    /// The encoding of the current parent: looked up once per parent, not
    /// once per subdevice.
    var context: ParentEncoding?
    /// The last subdevice encoded in full that a template could be made
    /// of: the next ones like it are encoded from it.
    var template: DeviceTemplate?

    init(handlers: FamilyHandlers, devices: DeviceTable.OrderedDevices) {
        self.handlers = handlers
        self.devices = devices
    }

    mutating func next(into out: inout AttributeEncoder) -> Bool {
        guard let firstOfParent = devices.advance() else { return false }
        if firstOfParent { context = handlers.parentEncoding(of: devices.withCurrent { $0.pointee }) }
        // Hotplug removal takes a parent's subdevices before the parent,
        // so each has one; were one orphaned, it would go out as an empty
        // message, as `encodeDevice` makes it.
        guard let context else { return true }
        // The closure captures no handlers: capturing them copied the
        // whole struct (1.5k instructions).
        let holders = handlers.registry.holders(devices.withCurrent { $0.pointee.vfioIndex })
        // Moved out and back, so the closure captures a local, not `self`.
        var template = self.template.take()
        _ = devices.withCurrent { Self.encode($0, in: context, holders: holders, template: &template, into: &out) }
        self.template = template
        return true
    }

    /// Encodes `device` from `template` if it fits, else in full, making
    /// a template of it when it can; `true` when the template encoded it.
    @discardableResult
    static func encode(_ device: UnsafePointer<Subdevice>, in context: ParentEncoding, holders: [Holder],
                       template: inout DeviceTemplate?, into out: inout AttributeEncoder) -> Bool {
        if let fitting = template, fitting.fits(device, in: context, holders: holders) {
            fitting.encode(device, into: &out)
            return true
        }
        let start = out.count
        ObjectEncoding.device(device, in: context, holders: holders, into: &out)
        if let made = DeviceTemplate(out.encoded(from: start), of: device, in: context, holders: holders) { template = made }
        return false
    }
}
