import Netlink
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// Hotplug: attention-button requests to remove or add a parent, which
/// wait out a window in which they can be cancelled, and surprise removal.
extension FamilyHandlers {
    mutating func injectHotplug(_ request: Request) throws -> HandlerOutput {
        let bus = try request.requireString(SubdevEventAttr.busName)
        let name = try request.requireString(SubdevEventAttr.devName)
        let handle = "\(bus)/\(name)"
        let nameOffset = request.offset(of: SubdevEventAttr.devName).map(UInt32.init)
        let action = try request.attributes.integer(SubdevEventAttr.hotplugAction, as: UInt8.self)
        if request.attributes.has(SubdevEventAttr.cancel) {
            if action != nil {
                throw NetlinkError(errno: EINVAL, message: "cancel takes no hotplug-action: it cancels the request that waits",
                                   offset: request.offset(of: SubdevEventAttr.hotplugAction).map(UInt32.init))
            }
            return try cancel(handle, offset: nameOffset)
        }
        guard let action else { throw request.missing(SubdevEventAttr.hotplugAction) }
        guard let hotplugAction = SubdevHotplugAction(rawValue: UInt32(action)) else {
            throw NetlinkError(errno: EINVAL, message: "hotplug-action \(action) is not remove (0), add (1) or surprise-remove (2)",
                               offset: request.offset(of: SubdevEventAttr.hotplugAction).map(UInt32.init))
        }
        let present = machine.parentIndex(bus: bus, name: name)
        if let pending = hotplugs.request(for: handle) {
            throw NetlinkError(errno: EBUSY, message: "a hotplug \(pending.action.name) of \(handle) is already \(pending.proceeding ? "proceeding" : "requested")",
                               offset: nameOffset)
        }
        switch hotplugAction {
        case .remove, .surpriseRemove:
            guard let present else {
                throw NetlinkError(errno: ENODEV, message: "no parent \(handle) is present", offset: nameOffset)
            }
            if hotplugAction == .surpriseRemove {
                for attribute in [SubdevEventAttr.windowMs, .deadlineMs] where request.attributes.has(attribute) {
                    throw NetlinkError(errno: EINVAL, message: "surprise-remove has no window and no deadline: the card is gone at once",
                                       offset: request.offset(of: attribute).map(UInt32.init))
                }
                return surpriseRemove(present)
            }
        case .add:
            if present != nil {
                throw NetlinkError(errno: EEXIST, message: "parent \(handle) is already present", offset: nameOffset)
            }
            guard machine.slotIndex(bus: bus, name: name) != nil else {
                throw NetlinkError(errno: ENODEV, message: "no slot holds a card \(handle): describe it with present: false, or remove it first",
                                   offset: nameOffset)
            }
        }
        let window = try request.attributes.integer(SubdevEventAttr.windowMs, as: UInt32.self) ?? hotplugWindowMilliseconds
        let deadline = try request.attributes.integer(SubdevEventAttr.deadlineMs, as: UInt32.self)
        if hotplugAction == .add, deadline != nil {
            throw NetlinkError(errno: EINVAL, message: "deadline-ms bounds the removal of subdevices; an add has none",
                               offset: request.offset(of: SubdevEventAttr.deadlineMs).map(UInt32.init))
        }
        hotplugs.start(handle, action: hotplugAction, windowMilliseconds: window, deadlineMilliseconds: deadline)
        return HandlerOutput(events: [announce(handle, hotplugAction, .requested, window: window,
                                               reason: "attention button pressed; press again within \(window) ms to cancel")])
    }

    /// A second press within the window: the request is dropped, nothing changed.
    private mutating func cancel(_ handle: String, offset: UInt32?) throws -> HandlerOutput {
        guard let pending = hotplugs.request(for: handle) else {
            throw NetlinkError(errno: ENOENT, message: "no hotplug request for \(handle) waits to be cancelled", offset: offset)
        }
        guard !pending.proceeding else {
            throw NetlinkError(errno: EBUSY, message: "the hotplug \(pending.action.name) of \(handle) is proceeding: its window ended", offset: offset)
        }
        _ = hotplugs.finish(handle)
        return HandlerOutput(events: [announce(handle, pending.action, .cancelled, reason: "cancelled within its window")])
    }

    /// A window ended: a removal soft-removes the parent's subdevices (the
    /// parent goes when they are gone); an add brings the parent in.
    mutating func proceed(_ handle: String, _ request: Hotplugs.Pending) -> HandlerOutput {
        var output = HandlerOutput()
        switch request.action {
        case .remove:
            guard machine.parents.contains(where: { $0.handle == handle }) else {
                _ = hotplugs.finish(handle)
                return output
            }
            output.events.append(announce(handle, .remove, .proceeding, reason: "removing its subdevices, then the parent"))
            for vfio in machine.devices.devices(of: handle).map(\.vfioIndex) where !removals.isRemoving(vfio) {
                guard let position = machine.deviceIndex(vfio: vfio) else { continue }
                output.append(softRemove(position, deadlineMilliseconds: request.deadlineMilliseconds, reason: "hotplug removal of \(handle)"))
            }
        case .add:
            _ = hotplugs.finish(handle)
            guard let slot = machine.slots.firstIndex(where: { $0.handle == handle }) else { return output }
            let parent = machine.addParent(slot: slot)
            do {
                try registry.addParent(parent)
            } catch {
                // The sysfs tree is a view; the parent serves without it.
            }
            output.notifications.append((.parentNewNtf, encodeParent(machine.parents.count - 1)))
            output.events.append(announce(handle, .add, .done, reason: "parent \(handle) and its \(parent.spec.types.count) types appeared"))
        case .surpriseRemove:
            _ = hotplugs.finish(handle)
        }
        return output
    }

    /// Removes the parents whose hotplug removal proceeds and whose
    /// subdevices are all gone.
    mutating func settleParents() -> HandlerOutput {
        var output = HandlerOutput()
        for (handle, request) in hotplugs.pending.sorted(by: { $0.key < $1.key }) where request.proceeding && request.action == .remove {
            guard let position = machine.parentIndex(handle: handle),
                  machine.devices.count(of: handle) == 0 else { continue }
            _ = hotplugs.finish(handle)
            output.append(removeParent(position, action: .remove, reason: "its subdevices are gone; parent \(handle) removed"))
        }
        return output
    }

    /// The card went without warning: its subdevices are removed at once,
    /// their holders revoked, then the parent.
    private mutating func surpriseRemove(_ position: Int) -> HandlerOutput {
        let handle = machine.parents[position].handle
        var output = HandlerOutput()
        for vfio in machine.devices.devices(of: handle).map(\.vfioIndex) {
            guard let device = machine.deviceIndex(vfio: vfio) else { continue }
            output.append(hardRemove(device, reason: "parent \(handle) was surprise-removed"))
        }
        output.append(removeParent(position, action: .surpriseRemove, reason: "the card was pulled without warning"))
        return output
    }

    private mutating func removeParent(_ position: Int, action: SubdevHotplugAction, reason: String) -> HandlerOutput {
        let last = encodeParent(position)
        let parent = machine.removeParent(position)
        registry.removeParent(parent)
        var output = HandlerOutput(notifications: [(.parentDelNtf, last)])
        output.events.append(emit(.hotplugNtf, EventFields(parent: parent, reason: reason, hotplugAction: action, hotplugStage: .done), to: []))
        return output
    }

    /// A hotplug event, sent to the holders of the parent's subdevices too.
    private mutating func announce(_ handle: String, _ action: SubdevHotplugAction, _ stage: SubdevHotplugStage,
                                   window: UInt32? = nil, reason: String) -> [UInt8] {
        guard let parent = machine.parents.first(where: { $0.handle == handle }) ?? machine.slots.first(where: { $0.handle == handle }) else {
            return []
        }
        let vfios = machine.devices.devices(of: handle).map(\.vfioIndex)
        return emit(.hotplugNtf, EventFields(parent: parent, reason: reason, hotplugAction: action, hotplugStage: stage, window: window), to: vfios)
    }
}
