import Netlink
import SubdevPlugin
import SubdevUAPI

/// How the model's objects go on the wire: the attributes of replies,
/// dumps and notifications, in the order the spec lists them.
enum ObjectEncoding {
    static func parent(_ parent: Parent, counters: [CounterUsage], deviceCount: Int,
                       hotplugStage: SubdevHotplugStage? = nil, generation: UInt64) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevParentAttr.busName, parent.bus)
        out.put(SubdevParentAttr.devName, parent.name)
        out.put(SubdevParentAttr.vendor, parent.spec.vendor)
        out.put(SubdevParentAttr.driver, parent.plugin.driver)
        for type in parent.spec.types { out.put(SubdevParentAttr.typeName, type.name) }
        for counter in counters {
            out.nest(SubdevParentAttr.counter) { nest in
                nest.put(SubdevCounterAttr.name, counter.name)
                nest.put(SubdevCounterAttr.total, counter.total)
                nest.put(SubdevCounterAttr.reserved, counter.reserved)
            }
        }
        out.put(SubdevParentAttr.devCount, UInt32(deviceCount))
        out.nest(SubdevParentAttr.aerStats) { nest in stats(parent.aerStats, into: &nest) }
        if let hotplugStage { out.put(SubdevParentAttr.hotplugStage, wire(hotplugStage)) }
        out.put(SubdevParentAttr.generation, generation)
        return out.bytes
    }

    /// `cost` is what one more instance with default parameters would
    /// reserve, by counter, in the parent's counter order.
    static func type(_ type: TypeSpec, of parent: Parent, available: UInt32, cost: [(String, UInt64)]) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevTypeAttr.busName, parent.bus)
        out.put(SubdevTypeAttr.devName, parent.name)
        out.put(SubdevTypeAttr.name, type.name)
        out.put(SubdevTypeAttr.class, wire(SubdevTypeClass(name: type.typeClass.rawValue)))
        out.put(SubdevTypeAttr.deviceApi, type.deviceAPI)
        out.put(SubdevTypeAttr.description, type.description)
        out.put(SubdevTypeAttr.available, available)
        for param in type.params {
            out.nest(SubdevTypeAttr.param) { nest in schema(param, into: &nest) }
        }
        out.put(SubdevTypeAttr.display, wire(SubdevDisplay(name: type.display.rawValue)))
        if type.migration.supported {
            out.putFlag(SubdevTypeAttr.migratable)
            out.put(SubdevTypeAttr.migrationCompat, type.migration.compatibility)
        }
        for fact in type.capabilities {
            out.nest(SubdevTypeAttr.capability) { nest in self.fact(fact, into: &nest) }
        }
        out.put(SubdevTypeAttr.registration, wire(SubdevRegistration(name: type.registration.rawValue)))
        for (counter, amount) in cost {
            out.nest(SubdevTypeAttr.instanceCost) { nest in
                nest.put(SubdevCounterAttr.name, counter)
                nest.put(SubdevCounterAttr.reserved, amount)
            }
        }
        return out.bytes
    }

    static func schema(_ param: ParamSchema, into out: inout AttributeEncoder) {
        out.put(SubdevParamAttr.name, param.name)
        out.put(SubdevParamAttr.kind, wire(SubdevParamKind(name: param.kind.rawValue)))
        if param.kind.isInteger {
            out.put(SubdevParamAttr.minInt, param.range.lowerBound)
            out.put(SubdevParamAttr.maxInt, param.range.upperBound)
        }
        switch param.defaultValue {
        case .int(let value)?: out.put(SubdevParamAttr.defaultInt, value)
        case .string(let value)?: out.put(SubdevParamAttr.defaultStr, value)
        case nil: break
        }
        for choice in param.choices { out.put(SubdevParamAttr.choice, choice) }
        if param.mutable { out.putFlag(SubdevParamAttr.mutable) }
        out.put(SubdevParamAttr.doc, param.doc)
        if param.optional { out.putFlag(SubdevParamAttr.optional) }
    }

    static func fact(_ fact: Fact, into out: inout AttributeEncoder) {
        out.put(SubdevParamAttr.name, fact.name)
        out.put(SubdevParamAttr.kind, wire(SubdevParamKind(name: fact.kind.rawValue)))
        value(fact.value, into: &out)
        if !fact.doc.isEmpty { out.put(SubdevParamAttr.doc, fact.doc) }
    }

    static func value(_ value: ParamValue, into out: inout AttributeEncoder) {
        switch value {
        case .int(let number): out.put(SubdevParamAttr.valueInt, number)
        case .string(let text): out.put(SubdevParamAttr.valueStr, text)
        }
    }

    /// Appends the attributes of the subdevice at `subdevice` to `out`: a
    /// dump encodes them straight into the datagram, reading each field
    /// where the table keeps it. Passed by value from the table, the
    /// subdevice was copied for the call and released after it (400
    /// instructions of a dumped subdevice's 3.6k): the compiler cannot
    /// know that nothing changes the table during the call. Never
    /// inlined: inlined into the dump, it had the optimiser copy the
    /// subdevice for its nests.
    @inline(never)
    static func device(_ subdevice: UnsafePointer<Subdevice>, in context: ParentEncoding, holders: [Holder], reason: String? = nil,
                       into out: inout AttributeEncoder) {
        // What the parent's or the type's subdevices all carry alike is
        // appended as encoded once.
        let type = context.type(subdevice.pointee.typeName)
        out.append(encoded: context.encodedNames)
        out.put(SubdevDevAttr.index, subdevice.pointee.index)
        if let name = subdevice.pointee.name { out.put(SubdevDevAttr.name, name) }
        if let type { out.append(encoded: type.encodedName) } else { out.put(SubdevDevAttr.type, subdevice.pointee.typeName) }
        out.put(SubdevDevAttr.adminState, UInt8(subdevice.pointee.adminState.rawValue))
        out.put(SubdevDevAttr.operState, UInt8(subdevice.pointee.operState.rawValue))
        if let type {
            out.append(encoded: type.encoded(params: subdevice.pointee.params))
        } else {
            params(subdevice.pointee.params, type: nil, into: &out)
        }
        // The nests' closures capture only these, never the subdevice: one
        // that captured it had the optimiser copy the whole subdevice.
        let vfioIndex = subdevice.pointee.vfioIndex, index = subdevice.pointee.index, pasid = subdevice.pointee.pasid
        let registration = type?.registration ?? wire(SubdevRegistration.emulatedIommu)
        out.nest(SubdevDevAttr.vfio) { nest in
            nest.put(SubdevVfioAttr.index, vfioIndex)
            nest.put(SubdevVfioAttr.devNode.rawValue, context.nodePrefix, decimal: vfioIndex)
            nest.put(SubdevVfioAttr.sysfsPath.rawValue, context.sysfsPrefix, decimal: index)
            nest.put(SubdevVfioAttr.iommuGroup, context.iommuGroup)
            if let pasid { nest.put(SubdevVfioAttr.pasid, pasid) }
            nest.put(SubdevVfioAttr.registration, registration)
            nest.append(encoded: context.reservedIOVA)
        }
        for detail in subdevice.pointee.allocation.details {
            out.nest(SubdevDevAttr.detail) { nest in fact(detail, into: &nest) }
        }
        let node = subdevice.pointee.node
        out.put(SubdevDevAttr.nodeUid, node.uid)
        out.put(SubdevDevAttr.nodeGid, node.gid)
        out.put(SubdevDevAttr.nodeMode, node.mode)
        if let pid = subdevice.pointee.ownerPID { out.put(SubdevDevAttr.ownerPid, UInt32(bitPattern: pid)) }
        for holder in holders {
            out.nest(SubdevDevAttr.holder) { nest in
                nest.put(SubdevHolderAttr.pid, UInt32(bitPattern: holder.pid))
                nest.put(SubdevHolderAttr.uid, holder.uid)
                nest.put(SubdevHolderAttr.gid, holder.gid)
            }
        }
        if let reason { out.put(SubdevDevAttr.reason, reason) }
        let aerStats = subdevice.pointee.aerStats
        out.nest(SubdevDevAttr.aerStats) { nest in stats(aerStats, into: &nest) }
        if let type { out.append(encoded: type.encodedCompat) }
    }

    /// A subdevice's parameters as `param` nests, each with its kind when
    /// `type` knows it.
    static func params(_ list: [(name: String, value: ParamValue)], type: ParentEncoding.TypeEncoding?, into out: inout AttributeEncoder) {
        var cursor = 0
        for (name, setting) in list {
            out.nest(SubdevDevAttr.param) { nest in
                nest.put(SubdevParamAttr.name, name)
                if let kind = type?.kind(of: name, cursor: &cursor) { nest.put(SubdevParamAttr.kind, kind) }
                value(setting, into: &nest)
            }
        }
    }

    static func stats(_ stats: AERStats, into out: inout AttributeEncoder) {
        out.put(SubdevAerStatsAttr.correctable, stats.correctable)
        out.put(SubdevAerStatsAttr.nonFatal, stats.nonFatal)
        out.put(SubdevAerStatsAttr.fatal, stats.fatal)
        out.put(SubdevAerStatsAttr.resets, stats.resets)
    }

    /// The attributes of an event, in the spec's order.
    static func event(sequence: UInt64, _ fields: EventFields) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevEventAttr.seq, sequence)
        out.put(SubdevEventAttr.busName, fields.parent.bus)
        out.put(SubdevEventAttr.devName, fields.parent.name)
        if let device = fields.device {
            out.put(SubdevEventAttr.index, device.index)
            if let name = device.name { out.put(SubdevEventAttr.name, name) }
            out.put(SubdevEventAttr.vfioIndex, device.vfioIndex)
        }
        if let counter = fields.counter { out.put(SubdevEventAttr.counter, counter) }
        if let deadline = fields.deadlineLeft { out.put(SubdevEventAttr.deadlineMs, deadline) }
        for holder in fields.holders { out.put(SubdevEventAttr.holderPid, UInt32(bitPattern: holder.pid)) }
        if let reason = fields.reason { out.put(SubdevEventAttr.reason, reason) }
        if let severity = fields.severity { out.put(SubdevEventAttr.severity, wire(severity)) }
        if let channel = fields.channel { out.put(SubdevEventAttr.channelState, wire(channel)) }
        if let stage = fields.aerStage { out.put(SubdevEventAttr.aerStage, wire(stage)) }
        if let timeout = fields.timeout { out.put(SubdevEventAttr.timeoutMs, timeout) }
        if let action = fields.hotplugAction { out.put(SubdevEventAttr.hotplugAction, wire(action)) }
        if let stage = fields.hotplugStage { out.put(SubdevEventAttr.hotplugStage, wire(stage)) }
        if let window = fields.window { out.put(SubdevEventAttr.windowMs, window) }
        if let stats = fields.aerStats { out.nest(SubdevEventAttr.aerStats) { nest in self.stats(stats, into: &nest) } }
        return out.bytes
    }

    /// An SDK enum as its uAPI value; the two share their names, and a
    /// test keeps them in step.
    static func wire<E: RawRepresentable>(_ value: E?) -> UInt8 where E.RawValue == UInt32 {
        UInt8(truncatingIfNeeded: value?.rawValue ?? 0)
    }
}
