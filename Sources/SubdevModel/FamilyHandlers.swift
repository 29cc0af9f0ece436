import Foundation
import Netlink
import SubdevPlugin
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// What a handler produced: reply attribute areas (one message each) and
/// notifications to broadcast on `config`.
struct HandlerOutput {
    var replies: SmallList<[UInt8]> = []
    /// For a dump: more reply attribute areas after `replies`, made one at
    /// a time as the answer is sent, so a dump of a million subdevices
    /// never sits in memory whole. Read before the model changes again.
    var stream: DumpStream?
    var notifications: SmallList<(command: SubdevCommand, attributes: [UInt8])> = []
    /// For a dump whose handler failed after validation: the error that
    /// ends it, carried in `NLMSG_DONE` as the kernel does.
    var dumpError: NetlinkError?
    /// Events for the `events` group, encoded whole (they also went to the
    /// holders' device connections).
    var events: [[UInt8]] = []

    mutating func append(_ other: HandlerOutput) {
        replies += other.replies
        notifications += other.notifications
        events += other.events
    }
}

/// The handlers of the subdev family, one per operation, over the machine
/// and its VFIO registrations. The server runs them one at a time.
struct FamilyHandlers {
    var machine: Machine
    let registry: VFIORegistry
    /// What each parent's subdevices encode alike, worked out once.
    let encodings: ParentEncodings
    /// Where a subdevice's reply and notification are encoded.
    private let scratch = ScratchEncoder()
    /// The family id events are sent with.
    let familyID: UInt16
    var removals: Removals
    var recoveries = Recoveries()
    var hotplugs = Hotplugs()
    /// Defaults for injections that do not give their own.
    let aerTimeoutMilliseconds: UInt32
    let hotplugWindowMilliseconds: UInt32
    private(set) var eventSequence: UInt64 = 0

    init(machine: Machine, registry: VFIORegistry, familyID: UInt16, removeInterval: TimeInterval,
         aerTimeoutMilliseconds: UInt32 = 3000, hotplugWindowMilliseconds: UInt32 = 5000) {
        self.machine = machine
        self.registry = registry
        encodings = ParentEncodings(root: registry.root)
        self.familyID = familyID
        removals = Removals(interval: removeInterval)
        self.aerTimeoutMilliseconds = aerTimeoutMilliseconds
        self.hotplugWindowMilliseconds = hotplugWindowMilliseconds
    }

    mutating func handle(_ command: SubdevCommand, _ request: Request, dump: Bool) throws -> HandlerOutput {
        var output = try dispatch(command, request, dump: dump)
        if !dump { output.append(tick()) }
        return output
    }

    private mutating func dispatch(_ command: SubdevCommand, _ request: Request, dump: Bool) throws -> HandlerOutput {
        switch (command, dump) {
        case (.parentGet, false): return try parentGet(request)
        case (.parentGet, true): return parentDump()
        case (.typeGet, false): return try typeGet(request)
        case (.typeGet, true): return try typeDump(request)
        case (.devGet, false): return try devGet(request)
        case (.devGet, true): return try devDump(request)
        case (.devNew, false): return try devNew(request)
        case (.devSet, false): return try devSet(request)
        case (.devDel, false): return try devDel(request)
        case (.aerAnswer, false): return try aerAnswer(request)
        case (.injectAer, false): return try injectAER(request)
        case (.injectHotplug, false): return try injectHotplug(request)
        case (.devCompat, false): return try devCompat(request)
        default:
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(command.name) does not support \(dump ? "dump" : "do")")
        }
    }

    // MARK: parents

    private func parentGet(_ request: Request) throws -> HandlerOutput {
        let position = try locateParent(request, bus: SubdevParentAttr.busName, name: SubdevParentAttr.devName)
        return HandlerOutput(replies: [encodeParent(position)])
    }

    private func parentDump() -> HandlerOutput {
        HandlerOutput(replies: SmallList(machine.parents.indices.map(encodeParent)))
    }

    func encodeParent(_ position: Int) -> [UInt8] {
        let parent = machine.parents[position]
        let stage: SubdevHotplugStage? = hotplugs.request(for: parent.handle).map { $0.proceeding ? .proceeding : .requested }
        return ObjectEncoding.parent(parent, counters: machine.counters(of: parent),
                                     deviceCount: machine.devices.count(of: parent.handle),
                                     hotplugStage: stage, generation: machine.generation(of: parent))
    }

    // MARK: types

    private func typeGet(_ request: Request) throws -> HandlerOutput {
        let position = try locateParent(request, bus: SubdevTypeAttr.busName, name: SubdevTypeAttr.devName)
        let parent = machine.parents[position]
        let name = try request.requireString(SubdevTypeAttr.name)
        guard let type = parent.type(name) else {
            throw NetlinkError(errno: ENOENT, message: "parent \(parent.handle) has no type \(name)",
                               offset: request.offset(of: SubdevTypeAttr.name).map(UInt32.init))
        }
        return HandlerOutput(replies: [encodeType(type, of: parent)])
    }

    private func typeDump(_ request: Request) throws -> HandlerOutput {
        let parents = try filterParents(request, bus: SubdevTypeAttr.busName, name: SubdevTypeAttr.devName)
        return HandlerOutput(replies: SmallList(parents.flatMap { parent in parent.spec.types.map { encodeType($0, of: parent) } }))
    }

    private func encodeType(_ type: TypeSpec, of parent: Parent) -> [UInt8] {
        ObjectEncoding.type(type, of: parent, available: machine.available(type, on: parent),
                            cost: machine.instanceCost(type, on: parent))
    }

    // MARK: subdevices

    private func devGet(_ request: Request) throws -> HandlerOutput {
        let position = try locateDevice(request)
        return HandlerOutput(replies: [encodeDevice(machine.devices[position])])
    }

    private func devDump(_ request: Request) throws -> HandlerOutput {
        let handles = try filterParents(request, bus: SubdevDevAttr.busName, name: SubdevDevAttr.devName).map(\.handle)
        return HandlerOutput(stream: DumpStream(DeviceDump(handlers: self, devices: machine.devices.inOrder(of: handles))))
    }

    private mutating func devNew(_ request: Request) throws -> HandlerOutput {
        let parentPosition = try locateParent(request, bus: SubdevDevAttr.busName, name: SubdevDevAttr.devName)
        if !hotplugs.isEmpty, let hotplug = hotplugs.request(for: machine.parents[parentPosition].handle), hotplug.action == .remove {
            throw NetlinkError(errno: EBUSY, message: "parent \(machine.parents[parentPosition].handle) has a hotplug removal \(hotplug.proceeding ? "under way" : "requested")",
                               offset: request.offset(of: SubdevDevAttr.devName).map(UInt32.init))
        }
        let type = try request.requireString(SubdevDevAttr.type)
        let adminState = try request.attributes.integer(SubdevDevAttr.adminState, as: UInt8.self)
            .map { SubdevAdminState(rawValue: UInt32($0)) ?? .up } ?? .up
        var owner: Int32?
        if request.attributes.has(SubdevDevAttr.owned) {
            guard let pid = request.credentials?.pid, pid > 0 else {
                throw NetlinkError(errno: EINVAL, message: "owned needs the sender's credentials, and the request came without them",
                                   offset: request.offset(of: SubdevDevAttr.owned).map(UInt32.init))
            }
            owner = pid
        }
        let node = NodeAccess(uid: try request.attributes.integer(SubdevDevAttr.nodeUid) ?? 0,
                              gid: try request.attributes.integer(SubdevDevAttr.nodeGid) ?? 0,
                              mode: try request.attributes.integer(SubdevDevAttr.nodeMode) ?? 0o600)
        let (device, group) = try machine.prepare(
            parent: parentPosition, type: type, name: try request.attributes.string(SubdevDevAttr.name),
            adminState: adminState, params: try params(of: request), node: node, ownerPID: owner,
            typeOffset: request.offset(of: SubdevDevAttr.type), nameOffset: request.offset(of: SubdevDevAttr.name))
        // Registered and encoded before it goes into the table, so that it
        // is moved there, not copied: a registration that fails leaves
        // the table as it was.
        let registry = self.registry
        try machine.withParent(parentPosition) { parent in
            try registry.register(device, parent: parent, registration: parent.registration(of: type) ?? .emulatedIOMMU)
        }
        registry.setOpenable(device.vfioIndex, device.adminState == .up)
        let attributes = encodeDevice(device, group: group)
        machine.insert(device, into: group, parent: parentPosition)
        return HandlerOutput(replies: SmallList(attributes), notifications: SmallList((.devNewNtf, attributes)))
    }

    private mutating func devSet(_ request: Request) throws -> HandlerOutput {
        let position = try locateDevice(request)
        if removals.isRemoving(machine.devices[position].vfioIndex) {
            throw NetlinkError(errno: EBUSY, message: "\(machine.devices[position].handle) is being removed")
        }
        if recoveries.isRecovering(machine.devices[position].vfioIndex) {
            throw NetlinkError(errno: EBUSY, message: "\(machine.devices[position].handle) is recovering from an AER error")
        }
        let adminState = try request.attributes.integer(SubdevDevAttr.adminState, as: UInt8.self)
            .flatMap { SubdevAdminState(rawValue: UInt32($0)) }
        guard try machine.modify(device: position, adminState: adminState, params: params(of: request)) else {
            return HandlerOutput()
        }
        registry.setOpenable(machine.devices[position].vfioIndex, machine.devices[position].adminState == .up)
        return HandlerOutput(notifications: [(.devChangeNtf, encodeDevice(machine.devices[position]))])
    }

    private mutating func devDel(_ request: Request) throws -> HandlerOutput {
        let position = try locateDevice(request)
        // Only its number: a copy of the whole subdevice, for a field or
        // two, was retains and releases on every delete.
        let vfio = machine.devices[position].vfioIndex
        let force = request.attributes.has(SubdevDevAttr.force)
        let deadline = try request.attributes.integer(SubdevDevAttr.deadlineMs, as: UInt32.self)
        if removals.isRemoving(vfio) {
            guard force else {
                throw NetlinkError(errno: EBUSY, message: "\(machine.devices[position].handle) is already being removed, waiting for its holders; force cuts them off")
            }
            return hardRemove(position, reason: "removed by force while its holders were asked to let go")
        }
        if force, !registry.holders(vfio).isEmpty { return hardRemove(position, reason: "removed by force") }
        return softRemove(position, deadlineMilliseconds: deadline, reason: nil)
    }

    /// Removes subdevice `position` softly: at once when nobody holds it;
    /// else it is removing, and its holders are asked, now and at every
    /// interval, until they let go or the deadline makes it hard.
    mutating func softRemove(_ position: Int, deadlineMilliseconds deadline: UInt32?, reason: String?) -> HandlerOutput {
        let vfio = machine.devices[position].vfioIndex
        if registry.holders(vfio).isEmpty {
            return HandlerOutput(notifications: SmallList((.devDelNtf, remove(position, reason: reason))))
        }
        machine.setOperState(device: position, .removing)
        registry.setOpenable(vfio, false)
        removals.start(vfio, deadlineMilliseconds: deadline)
        var waiting = deadline.map { "removal requested; holders have \($0) ms to let go" } ?? "removal requested; waiting for the holders to let go"
        if let reason { waiting = "\(reason): \(waiting)" }
        var output = HandlerOutput(notifications: [(.devChangeNtf, encodeDevice(machine.devices[position], reason: waiting))])
        output.append(tick())
        return output
    }

    /// Removes subdevice `position` at once, revoking its holders: they get
    /// revoke-ntf on their connections, which then close.
    mutating func hardRemove(_ position: Int, reason: String) -> HandlerOutput {
        let device = machine.devices[position]
        let holders = registry.holders(device.vfioIndex)
        _ = removals.finish(device.vfioIndex)
        var output = HandlerOutput()
        var said = reason
        if !holders.isEmpty {
            output.events.append(emit(.revokeNtf, deviceFields(device, holders: holders, reason: reason), to: [device.vfioIndex]))
            said += "; holders \(holders.map { String($0.pid) }.joined(separator: ", ")) revoked"
        }
        output.notifications.append((.devDelNtf, remove(position, reason: said)))
        return output
    }

    /// Does what is due: remove requests, removals whose deadline passed,
    /// recoveries that have their answers or ran out of time, hotplug
    /// requests whose window ended, and parents whose subdevices are gone.
    /// The server calls it when `poll` times out; every handler ends with it.
    mutating func tick() -> HandlerOutput {
        // The server ticks after every wake-up; most find nothing pending.
        guard isWaiting else { return HandlerOutput() }
        let (requests, expired) = removals.due()
        var output = HandlerOutput()
        for vfio in expired {
            guard let position = machine.deviceIndex(vfio: vfio) else { continue }
            let deadline = removals.pending[vfio]?.deadlineMilliseconds ?? 0
            output.append(hardRemove(position, reason: "the removal turned hard after its \(deadline) ms deadline"))
        }
        for request in requests {
            guard let device = machine.devices.device(vfio: request.vfio) else { continue }
            var fields = deviceFields(device, holders: registry.holders(request.vfio))
            fields?.counter = request.counter
            fields?.deadlineLeft = request.deadlineLeftMs
            output.events.append(emit(.removeRequestNtf, fields, to: [request.vfio]))
        }
        for vfio in recoveries.due() { output.append(concludeRecovery(vfio)) }
        // A removal whose holders were all revoked (by a recovery) is done.
        for vfio in removals.pending.keys.sorted() where registry.holders(vfio).isEmpty {
            guard let position = machine.deviceIndex(vfio: vfio),
                  let removal = removals.finish(vfio) else { continue }
            output.notifications.append((.devDelNtf, remove(position, reason: "its holders were cut off after \(removal.counter == 1 ? "1 remove request" : "\(removal.counter) remove requests")")))
        }
        for (parent, request) in hotplugs.due() { output.append(proceed(parent, request)) }
        output.append(settleParents())
        return output
    }

    /// Whether a removal, a recovery or a hotplug is under way: what `tick` looks after.
    private var isWaiting: Bool {
        !removals.pending.isEmpty || !recoveries.pending.isEmpty || !hotplugs.pending.isEmpty
    }

    /// Milliseconds until `tick` has something to do; -1 for never.
    ///
    /// Inlined: the server asks after every wake-up, through the handlers
    /// it stores, and a call to a getter there copied the whole struct
    /// (about 1.2 k instructions and twenty reference-count operations)
    /// to find that nothing waits.
    @inline(__always) var nextTick: Int32 {
        isWaiting ? nextTimer : -1
    }

    /// Milliseconds until the first removal, recovery or hotplug timer.
    private var nextTimer: Int32 {
        if !recoveries.due().isEmpty { return 0 }
        return [removals.timeout(), recoveries.timeout(), hotplugs.timeout()].filter { $0 >= 0 }.min() ?? -1
    }

    /// Event fields for `device`, which has a parent in the machine.
    func deviceFields(_ device: Subdevice, holders: [Holder] = [], reason: String? = nil) -> EventFields? {
        guard let parent = machine.parent(handle: device.parentHandle) else { return nil }
        return EventFields(parent: parent, device: device, holders: holders, reason: reason)
    }

    /// Numbers an event, encodes it, and sends it to the holders of
    /// `vfios` (those in `pids`, when given) on their device connections;
    /// returns it for the events group.
    mutating func emit(_ command: SubdevCommand, _ fields: EventFields?, to vfios: [UInt32],
                       only pids: Set<Int32>? = nil) -> [UInt8] {
        guard let fields else { return [] }
        eventSequence += 1
        let message = GenericMessage(family: familyID, command: command.rawValue, version: UInt8(subdevFamilyVersion),
                                     attributes: ObjectEncoding.event(sequence: eventSequence, fields)).netlinkMessage.encoded()
        for vfio in vfios { registry.send(message, to: vfio, only: pids) }
        return message
    }

    /// Unregisters and deletes subdevice `position`; returns its last state.
    mutating func remove(_ position: Int, reason: String?) -> [UInt8] {
        // Found once, for both.
        let parentPosition = machine.parentPosition(ofDevice: position)
        // Taken out of the table, not copied, then encoded as it was and
        // unregistered: nothing between reads the table for it.
        let (device, group) = machine.take(device: position, parentPosition: parentPosition)
        _ = removals.finish(device.vfioIndex)
        _ = recoveries.finish(device.vfioIndex)
        let last = encodeDevice(device, reason: reason, group: group)
        if let parentPosition { registry.unregister(device, parent: machine.parents[parentPosition]) }
        return last
    }

    /// The attributes of `device`; `group` is its parent's in the table,
    /// looked up when not given.
    func encodeDevice(_ device: Subdevice, reason: String? = nil, group: DeviceTable.GroupID? = nil) -> [UInt8] {
        guard let encoding = parentEncoding(of: device, group: group) else { return [] }
        let holders = registry.holders(device.vfioIndex)
        return scratch.encode { out in
            withUnsafePointer(to: device) { ObjectEncoding.device($0, in: encoding, holders: holders, reason: reason, into: &out) }
        }
    }

    /// What `device`'s parent's subdevices encode alike, made the first
    /// time; `nil` when the parent is gone. Found by the subdevice's group
    /// when it is the one the table holds at its position (not a copy of
    /// one deleted since), else by handle. No closure: one capturing the
    /// handlers had the optimiser copy them on every call.
    func parentEncoding(of device: Subdevice, group known: DeviceTable.GroupID? = nil) -> ParentEncoding? {
        let group = known ?? machine.devices.group(ofDevice: Int(device.vfioIndex), parent: device.parentHandle)
        if let known = encodings.known(device.parentHandle, group: group) { return known }
        guard let parent = machine.parent(handle: device.parentHandle) else { return nil }
        return encodings.add(parent, group: group)
    }

    // MARK: events from outside requests

    /// Applies what happened on a device node or to an owner, and says so.
    mutating func handle(_ event: RegistryEvent) -> HandlerOutput {
        var output = apply(event)
        output.append(tick())
        return output
    }

    private mutating func apply(_ event: RegistryEvent) -> HandlerOutput {
        switch event {
        case .held(let vfio, let holder):
            guard let device = machine.devices.device(vfio: vfio) else { return HandlerOutput() }
            return HandlerOutput(notifications: [(.devChangeNtf, encodeDevice(device, reason: "process \(holder.pid) opened the device"))])
        case .released(let vfio, let holder):
            guard let position = machine.deviceIndex(vfio: vfio) else { return HandlerOutput() }
            recoveries.forget(vfio, pid: holder.pid)
            var output = HandlerOutput(notifications: [
                (.devChangeNtf, encodeDevice(machine.devices[position], reason: "holder \(holder.pid) released the device")),
            ])
            if registry.holders(vfio).isEmpty, let removal = removals.finish(vfio) {
                let requests = removal.counter == 1 ? "1 remove request" : "\(removal.counter) remove requests"
                output.notifications.append((.devDelNtf, remove(position, reason: "its holders let go after \(requests)")))
            }
            return output
        case .ownerExited(let vfio, let pid):
            guard let position = machine.deviceIndex(vfio: vfio) else { return HandlerOutput() }
            // Other holders are cut off, and told, as in any hard removal.
            return hardRemove(position, reason: "owner process \(pid) exited")
        case .request:
            // Served by the server, which validates it first.
            return HandlerOutput()
        }
    }

    // MARK: lookups

    /// The parent a request names with its bus and device name; both are required.
    func locateParent<A: RawRepresentable>(_ request: Request, bus: A, name: A) throws -> Int where A.RawValue == UInt16 {
        // The names' bytes are looked up where they lie; strings are made
        // only for an error.
        let found = try request.attributes.withStringBytes(bus.rawValue) { busBytes in
            try request.attributes.withStringBytes(name.rawValue) { nameBytes in machine.parentIndex(bus: busBytes, name: nameBytes) }
        }
        // Absent bus or name, or no such parent: nil at one level or another.
        guard let bothPresent = found, let namePresent = bothPresent, let position = namePresent else {
            let busName = try request.requireString(bus)
            let devName = try request.requireString(name)
            throw NetlinkError(errno: ENODEV, message: "no parent \(busName)/\(devName)",
                               offset: request.offset(of: name).map(UInt32.init))
        }
        return position
    }

    /// The parents a dump asks for: one when it names one, else all.
    private func filterParents<A: RawRepresentable>(_ request: Request, bus: A, name: A) throws -> [Parent] where A.RawValue == UInt16 {
        if !request.attributes.has(bus), !request.attributes.has(name) { return machine.parents }
        return [machine.parents[try locateParent(request, bus: bus, name: name)]]
    }

    /// The subdevice a request names, by parent and index or by name.
    func locateDevice(_ request: Request) throws -> Int {
        try locateDevice(request, bus: SubdevDevAttr.busName, parent: SubdevDevAttr.devName,
                         index: SubdevDevAttr.index, name: SubdevDevAttr.name)
    }

    /// The subdevice a request names with these attributes, by parent and index or by name.
    func locateDevice<A: RawRepresentable>(_ request: Request, bus: A, parent parentName: A, index indexAttribute: A,
                                           name nameAttribute: A) throws -> Int where A.RawValue == UInt16 {
        if let index = try request.attributes.integer(indexAttribute, as: UInt32.self) {
            if request.attributes.has(nameAttribute) {
                throw NetlinkError(errno: EINVAL, message: "name a subdevice by parent and index or by name, not both",
                                   offset: request.offset(of: nameAttribute).map(UInt32.init))
            }
            let parentPosition = try locateParent(request, bus: bus, name: parentName)
            guard let position = machine.deviceIndex(parentPosition: parentPosition, index: index) else {
                throw NetlinkError(errno: ENOENT, message: "no subdevice \(machine.parents[parentPosition].handle)/\(index)",
                                   offset: request.offset(of: indexAttribute).map(UInt32.init))
            }
            return position
        }
        if let name = try request.attributes.string(nameAttribute) {
            guard let position = machine.deviceIndex(named: name) else {
                throw NetlinkError(errno: ENOENT, message: "no subdevice named \(name)",
                                   offset: request.offset(of: nameAttribute).map(UInt32.init))
            }
            return position
        }
        throw request.missing(indexAttribute)
    }

    /// The param nests of a request, each with a name and one value.
    func params(of request: Request) throws -> [RequestParam] {
        try request.attributes.all(SubdevDevAttr.param).map { nest in
            let fields = AttributeDecoder(attributes: try nest.children())
            guard let name = try fields.string(SubdevParamAttr.name) else {
                throw NetlinkError(errno: EINVAL, message: "\(request.operationName) param needs attribute name",
                                   missingType: UInt32(SubdevParamAttr.name.rawValue), missingNest: UInt32(nest.offset))
            }
            let number = try fields.integer(SubdevParamAttr.valueInt, as: UInt64.self)
            let text = try fields.string(SubdevParamAttr.valueStr)
            switch (number, text) {
            case (let number?, nil): return RequestParam(name: name, value: .int(number), offset: nest.offset)
            case (nil, let text?): return RequestParam(name: name, value: .string(text), offset: nest.offset)
            case (nil, nil):
                throw NetlinkError(errno: EINVAL, message: "parameter \(name) has no value-int or value-str", offset: UInt32(nest.offset))
            default:
                throw NetlinkError(errno: EINVAL, message: "parameter \(name) has both value-int and value-str", offset: UInt32(nest.offset))
            }
        }
    }
}
