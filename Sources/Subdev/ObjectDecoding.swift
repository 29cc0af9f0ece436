import Netlink
import SubdevUAPI

/// Reads the family's messages into the client's objects. A reply that
/// lacks an attribute every object has is a `ProtocolError` naming it.
enum ObjectDecoding {
    static func require<T>(_ value: T?, _ name: String, in object: String) throws -> T {
        guard let value else { throw ProtocolError("\(object) reply without \(name)") }
        return value
    }

    static func parentHandle<A: RawRepresentable>(_ d: AttributeDecoder, bus: A, name: A, in object: String) throws -> ParentHandle where A.RawValue == UInt16 {
        ParentHandle(bus: try require(d.string(bus), "bus-name", in: object),
                     name: try require(d.string(name), "dev-name", in: object))
    }

    /// In one pass, as a subdevice is: a search per attribute read the
    /// whole message again for each. The last of a repeated single
    /// attribute counts, as a search for it finds.
    static func parent(_ d: AttributeDecoder) throws -> ParentInfo {
        var bus: String?, name: String?, vendor = "", driver = ""
        var typeNames: [String] = [], counters: [CounterInfo] = []
        var deviceCount: UInt32 = 0, aerStats: AERStatsInfo?, hotplugStage: SubdevHotplugStage?, generation: UInt64?
        try d.forEach { attribute in
            switch SubdevParentAttr(rawValue: attribute.type) {
            case .busName?: bus = try attribute.string()
            case .devName?: name = try attribute.string()
            case .vendor?: vendor = try attribute.string()
            case .driver?: driver = try attribute.string()
            case .typeName?: typeNames.append(try attribute.string())
            case .counter?: counters.append(try counter(attribute.nested(), in: "parent"))
            case .devCount?: deviceCount = try attribute.integer()
            case .aerStats?: aerStats = try stats(attribute.nested())
            case .hotplugStage?: hotplugStage = SubdevHotplugStage(rawValue: UInt32(try attribute.integer(as: UInt8.self)))
            case .generation?: generation = try attribute.integer()
            case nil: break
            }
        }
        return ParentInfo(handle: ParentHandle(bus: try require(bus, "bus-name", in: "parent"), name: try require(name, "dev-name", in: "parent")),
                          vendor: vendor, driver: driver, typeNames: typeNames, counters: counters, deviceCount: deviceCount,
                          aerStats: aerStats, hotplugStage: hotplugStage, generation: generation)
    }

    static func counter(_ d: AttributeDecoder, in object: String) throws -> CounterInfo {
        CounterInfo(name: try require(d.string(SubdevCounterAttr.name), "counter name", in: object),
                    total: try d.integer(SubdevCounterAttr.total) ?? 0,
                    reserved: try d.integer(SubdevCounterAttr.reserved) ?? 0)
    }

    /// In one pass: every subdevice of a dump carries these.
    static func stats(_ d: AttributeDecoder) throws -> AERStatsInfo {
        var stats = AERStatsInfo(correctable: 0, nonFatal: 0, fatal: 0, resets: 0)
        try d.forEach { attribute in
            switch SubdevAerStatsAttr(rawValue: attribute.type) {
            case .correctable?: stats.correctable = try attribute.integer()
            case .nonFatal?: stats.nonFatal = try attribute.integer()
            case .fatal?: stats.fatal = try attribute.integer()
            case .resets?: stats.resets = try attribute.integer()
            case nil: break
            }
        }
        return stats
    }

    /// A u8 enum attribute; `nil` when absent or a value this client does not know.
    static func enumeration<A: RawRepresentable, E: RawRepresentable>(_ d: AttributeDecoder, _ attribute: A) throws -> E?
        where A.RawValue == UInt16, E.RawValue == UInt32 {
        try d.integer(attribute, as: UInt8.self).flatMap { E(rawValue: UInt32($0)) }
    }

    static func type(_ d: AttributeDecoder) throws -> TypeInfo {
        TypeInfo(
            parent: try parentHandle(d, bus: SubdevTypeAttr.busName, name: SubdevTypeAttr.devName, in: "type"),
            name: try require(d.string(SubdevTypeAttr.name), "name", in: "type"),
            typeClass: try d.integer(SubdevTypeAttr.class, as: UInt8.self).flatMap { SubdevTypeClass(rawValue: UInt32($0)) },
            deviceAPI: try d.string(SubdevTypeAttr.deviceApi) ?? "",
            description: try d.string(SubdevTypeAttr.description) ?? "",
            available: try d.integer(SubdevTypeAttr.available) ?? 0,
            params: try d.nestedAll(SubdevTypeAttr.param).map(param),
            display: try d.integer(SubdevTypeAttr.display, as: UInt8.self).flatMap { SubdevDisplay(rawValue: UInt32($0)) },
            migratable: d.has(SubdevTypeAttr.migratable),
            migrationCompat: try d.string(SubdevTypeAttr.migrationCompat),
            capabilities: try d.nestedAll(SubdevTypeAttr.capability).map { try fact($0, in: "type") },
            registration: try d.integer(SubdevTypeAttr.registration, as: UInt8.self).flatMap { SubdevRegistration(rawValue: UInt32($0)) },
            instanceCost: try d.nestedAll(SubdevTypeAttr.instanceCost).map { try counter($0, in: "type") })
    }

    static func param(_ d: AttributeDecoder) throws -> ParamInfo {
        let kindValue = try require(d.integer(SubdevParamAttr.kind, as: UInt8.self), "param kind", in: "type")
        let defaultValue: ParamValue? = try d.integer(SubdevParamAttr.defaultInt, as: UInt64.self).map { .int($0) }
            ?? d.string(SubdevParamAttr.defaultStr).map { .string($0) }
        return ParamInfo(
            name: try require(d.string(SubdevParamAttr.name), "param name", in: "type"),
            kind: try require(SubdevParamKind(rawValue: UInt32(kindValue)), "known param kind (got \(kindValue))", in: "type"),
            min: try d.integer(SubdevParamAttr.minInt), max: try d.integer(SubdevParamAttr.maxInt),
            defaultValue: defaultValue,
            choices: try d.all(SubdevParamAttr.choice).map { try $0.string() },
            mutable: d.has(SubdevParamAttr.mutable),
            optional: d.has(SubdevParamAttr.optional),
            doc: try d.string(SubdevParamAttr.doc) ?? "")
    }

    static func value(_ d: AttributeDecoder) throws -> ParamValue? {
        try d.integer(SubdevParamAttr.valueInt, as: UInt64.self).map { .int($0) }
            ?? d.string(SubdevParamAttr.valueStr).map { .string($0) }
    }

    static func fact(_ d: AttributeDecoder, in object: String) throws -> FactInfo {
        FactInfo(name: try require(d.string(SubdevParamAttr.name), "fact name", in: object),
                 kind: try d.integer(SubdevParamAttr.kind, as: UInt8.self).flatMap { SubdevParamKind(rawValue: UInt32($0)) },
                 value: try require(value(d), "fact value", in: object),
                 doc: try d.string(SubdevParamAttr.doc) ?? "")
    }

    static func event(_ d: AttributeDecoder) throws -> DeviceEvent {
        DeviceEvent(
            sequence: try require(d.integer(SubdevEventAttr.seq), "seq", in: "event"),
            parent: try parentHandle(d, bus: SubdevEventAttr.busName, name: SubdevEventAttr.devName, in: "event"),
            index: try require(d.integer(SubdevEventAttr.index), "index", in: "event"),
            name: try d.string(SubdevEventAttr.name),
            vfioIndex: try d.integer(SubdevEventAttr.vfioIndex),
            counter: try d.integer(SubdevEventAttr.counter),
            deadlineMilliseconds: try d.integer(SubdevEventAttr.deadlineMs),
            holderPIDs: try d.all(SubdevEventAttr.holderPid).map { try $0.integer(as: UInt32.self) },
            reason: try d.string(SubdevEventAttr.reason))
    }

    static func aer(_ d: AttributeDecoder) throws -> AEREvent {
        AEREvent(
            sequence: try require(d.integer(SubdevEventAttr.seq), "seq", in: "aer event"),
            parent: try parentHandle(d, bus: SubdevEventAttr.busName, name: SubdevEventAttr.devName, in: "aer event"),
            index: try d.integer(SubdevEventAttr.index),
            name: try d.string(SubdevEventAttr.name),
            vfioIndex: try d.integer(SubdevEventAttr.vfioIndex),
            severity: try require(enumeration(d, SubdevEventAttr.severity), "severity", in: "aer event"),
            channelState: try require(enumeration(d, SubdevEventAttr.channelState), "channel-state", in: "aer event"),
            stage: try require(enumeration(d, SubdevEventAttr.aerStage), "aer-stage", in: "aer event"),
            timeoutMilliseconds: try d.integer(SubdevEventAttr.timeoutMs),
            holderPIDs: try d.all(SubdevEventAttr.holderPid).map { try $0.integer(as: UInt32.self) },
            reason: try d.string(SubdevEventAttr.reason),
            stats: try d.nested(SubdevEventAttr.aerStats).map(stats))
    }

    static func hotplug(_ d: AttributeDecoder) throws -> HotplugEvent {
        HotplugEvent(
            sequence: try require(d.integer(SubdevEventAttr.seq), "seq", in: "hotplug event"),
            parent: try parentHandle(d, bus: SubdevEventAttr.busName, name: SubdevEventAttr.devName, in: "hotplug event"),
            action: try require(enumeration(d, SubdevEventAttr.hotplugAction), "hotplug-action", in: "hotplug event"),
            stage: try require(enumeration(d, SubdevEventAttr.hotplugStage), "hotplug-stage", in: "hotplug event"),
            windowMilliseconds: try d.integer(SubdevEventAttr.windowMs),
            reason: try d.string(SubdevEventAttr.reason))
    }

    /// A subdevice, in one pass over its attributes: a dump of a million
    /// decodes this a million times. A repeated attribute reads as its last
    /// instance, as elsewhere; `param`, `detail` and `holder` repeat.
    static func device(_ d: AttributeDecoder) throws -> DeviceInfo {
        var memo = DeviceMemo(remembering: false)
        return try device(d, memo: &memo)
    }

    /// A subdevice of a dump: what it shares with the one before it, byte
    /// for byte, is the one before's (see `DeviceMemo`).
    static func device(_ d: AttributeDecoder, memo: inout DeviceMemo) throws -> DeviceInfo {
        var index: UInt32?, name: String?
        var adminState: SubdevAdminState?, operState: SubdevOperState?
        var details: [FactInfo] = [], holders: [HolderInfo] = []
        var vfioOwn: VFIOInfo.Own?, nodeUID: UInt32?, nodeGID: UInt32?, nodeMode: UInt16?, ownerPID: UInt32?
        var reason: String?
        var reading = DeviceMemo.Reading()
        try d.forEach { attribute in
            switch SubdevDevAttr(rawValue: attribute.type) {
            case .busName?: try memo.string(.bus, attribute, &reading)
            case .devName?: try memo.string(.parentName, attribute, &reading)
            case .index?: index = try attribute.integer()
            case .name?: name = try attribute.string()
            case .type?: try memo.string(.type, attribute, &reading)
            case .adminState?: adminState = SubdevAdminState(rawValue: UInt32(try attribute.integer(as: UInt8.self)))
            case .operState?: operState = SubdevOperState(rawValue: UInt32(try attribute.integer(as: UInt8.self)))
            case .param?:
                try memo.params.next(&reading.params, raw: attribute.payload, remembering: memo.remembering) {
                    try param(setting: attribute.nested())
                }
            case .vfio?: vfioOwn = try self.vfio(attribute.nested(), memo: &memo, reading: &reading)
            case .detail?: details.append(try fact(attribute.nested(), in: "dev"))
            case .nodeUid?: nodeUID = try attribute.integer()
            case .nodeGid?: nodeGID = try attribute.integer()
            case .nodeMode?: nodeMode = try attribute.integer()
            case .ownerPid?: ownerPID = try attribute.integer()
            case .holder?: holders.append(try holder(attribute.nested()))
            case .reason?: reason = try attribute.string()
            case .aerStats?:
                reading.note(.aerStats, hit: try memo.aerStats.update(attribute.payload, remembering: memo.remembering) {
                    try stats(attribute.nested())
                })
            case .migrationCompat?: try memo.string(.migrationCompat, attribute, &reading)
            case .force?, .deadlineMs?, .owned?, nil: break
            }
        }
        let alike = try memo.alike(reading, node: nodeUID.map { NodeAccessInfo(uid: $0, gid: nodeGID ?? 0, mode: nodeMode ?? 0) },
                                   ownerPID: ownerPID, reason: consume reason, details: consume details, holders: consume holders)
        let device = DeviceInfo(index: try require(index, "index", in: "dev"), name: consume name,
                                adminState: adminState, operState: operState, vfioOwn: vfioOwn, alike: alike)
        // Decoded in full, yet alike with the one before: a new run, or a
        // template that no longer fits it. The next are decoded from this
        // one, unless it cannot be one (a named subdevice).
        if memo.runGoesOn, let made = MessageTemplate(d, decodedAs: device) { memo.template = made }
        return device
    }

    /// The subdevice of `message`, a reply or a dump's: from the memo's
    /// template when only its own numbers differ, else decoded in full.
    static func device(_ message: NetlinkMessage, memo: inout DeviceMemo) throws -> DeviceInfo {
        if let template = memo.template,
           let device = message.payloadSlice.withUnsafeBytes({ payload -> DeviceInfo? in
               guard payload.count >= GenericMessage.headerSize else { return nil }
               return template.decode(UnsafeRawBufferPointer(rebasing: payload[GenericMessage.headerSize...]))
           }) {
            return device
        }
        return try device(GenericMessage.attributes(of: message), memo: &memo)
    }

    /// A subdevice's parameter, in one pass.
    static func param(setting p: AttributeDecoder) throws -> ParamSetting {
        var name: String?, kind: SubdevParamKind?, number: UInt64?, text: String?
        try p.forEach { attribute in
            switch SubdevParamAttr(rawValue: attribute.type) {
            case .name?: name = try attribute.string()
            case .kind?: kind = SubdevParamKind(rawValue: UInt32(try attribute.integer(as: UInt8.self)))
            case .valueInt?: number = try attribute.integer()
            case .valueStr?: text = try attribute.string()
            default: break
            }
        }
        return ParamSetting(name: try require(name, "param name", in: "dev"), kind: kind,
                            value: try require(number.map { .int($0) } ?? text.map { .string($0) }, "param value", in: "dev"))
    }

    /// A subdevice's VFIO registration, in one pass: its own part
    /// returned, its shared part read into `memo` and `reading`.
    static func vfio(_ v: AttributeDecoder, memo: inout DeviceMemo, reading: inout DeviceMemo.Reading) throws -> VFIOInfo.Own {
        var index: UInt32?, pasid: UInt32?, devNodeNumber: UInt32?, sysfsNumber: UInt32?
        reading.present.insert(.vfio)
        // A repeated nest reads as its last, as a repeated attribute does.
        reading.present.subtract([.devNode, .sysfsPath])
        reading.reservedIOVA = RememberedRun<IOVARangeInfo>.Reading()
        reading.iommuGroup = nil
        reading.registration = nil
        try v.forEach { attribute in
            switch SubdevVfioAttr(rawValue: attribute.type) {
            case .index?: index = try attribute.integer()
            case .devNode?: devNodeNumber = try memo.path(.devNode, attribute, &reading)
            case .sysfsPath?: sysfsNumber = try memo.path(.sysfsPath, attribute, &reading)
            case .iommuGroup?: reading.iommuGroup = try attribute.integer()
            case .pasid?: pasid = try attribute.integer()
            case .registration?: reading.registration = SubdevRegistration(rawValue: UInt32(try attribute.integer(as: UInt8.self)))
            case .reservedIova?:
                try memo.reservedIOVA.next(&reading.reservedIOVA, raw: attribute.payload, remembering: memo.remembering) {
                    try range(attribute.nested())
                }
            case nil: break
            }
        }
        return VFIOInfo.Own(index: try require(index, "vfio index", in: "dev"), pasid: pasid,
                            devNodeNumber: devNodeNumber, sysfsNumber: sysfsNumber)
    }

    /// A holder of a subdevice's node, in one pass.
    static func holder(_ h: AttributeDecoder) throws -> HolderInfo {
        var pid: UInt32?, uid: UInt32 = 0, gid: UInt32 = 0
        try h.forEach { attribute in
            switch SubdevHolderAttr(rawValue: attribute.type) {
            case .pid?: pid = try attribute.integer()
            case .uid?: uid = try attribute.integer()
            case .gid?: gid = try attribute.integer()
            case nil: break
            }
        }
        return HolderInfo(pid: try require(pid, "holder pid", in: "dev"), uid: uid, gid: gid)
    }

    /// A reserved IOVA range, in one pass.
    static func range(_ r: AttributeDecoder) throws -> IOVARangeInfo {
        var start: UInt64?, end: UInt64?, kind = "reserved"
        try r.forEach { attribute in
            switch SubdevIovaRangeAttr(rawValue: attribute.type) {
            case .start?: start = try attribute.integer()
            case .end?: end = try attribute.integer()
            case .kind?: kind = try attribute.string()
            case nil: break
            }
        }
        return IOVARangeInfo(start: try require(start, "iova start", in: "dev"), end: try require(end, "iova end", in: "dev"), kind: kind)
    }
}
