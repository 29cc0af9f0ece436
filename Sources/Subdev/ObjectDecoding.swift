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

    static func parent(_ d: AttributeDecoder) throws -> ParentInfo {
        ParentInfo(
            handle: try parentHandle(d, bus: SubdevParentAttr.busName, name: SubdevParentAttr.devName, in: "parent"),
            vendor: try d.string(SubdevParentAttr.vendor) ?? "",
            driver: try d.string(SubdevParentAttr.driver) ?? "",
            typeNames: try d.all(SubdevParentAttr.typeName).map { try $0.string() },
            counters: try d.nestedAll(SubdevParentAttr.counter).map { try counter($0, in: "parent") },
            deviceCount: try d.integer(SubdevParentAttr.devCount) ?? 0,
            aerStats: try d.nested(SubdevParentAttr.aerStats).map(stats),
            hotplugStage: try enumeration(d, SubdevParentAttr.hotplugStage),
            generation: try d.integer(SubdevParentAttr.generation))
    }

    static func counter(_ d: AttributeDecoder, in object: String) throws -> CounterInfo {
        CounterInfo(name: try require(d.string(SubdevCounterAttr.name), "counter name", in: object),
                    total: try d.integer(SubdevCounterAttr.total) ?? 0,
                    reserved: try d.integer(SubdevCounterAttr.reserved) ?? 0)
    }

    static func stats(_ d: AttributeDecoder) throws -> AERStatsInfo {
        AERStatsInfo(correctable: try d.integer(SubdevAerStatsAttr.correctable) ?? 0,
                     nonFatal: try d.integer(SubdevAerStatsAttr.nonFatal) ?? 0,
                     fatal: try d.integer(SubdevAerStatsAttr.fatal) ?? 0,
                     resets: try d.integer(SubdevAerStatsAttr.resets) ?? 0)
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

    static func device(_ d: AttributeDecoder) throws -> DeviceInfo {
        DeviceInfo(
            parent: try parentHandle(d, bus: SubdevDevAttr.busName, name: SubdevDevAttr.devName, in: "dev"),
            index: try require(d.integer(SubdevDevAttr.index), "index", in: "dev"),
            name: try d.string(SubdevDevAttr.name),
            type: try require(d.string(SubdevDevAttr.type), "type", in: "dev"),
            adminState: try d.integer(SubdevDevAttr.adminState, as: UInt8.self).flatMap { SubdevAdminState(rawValue: UInt32($0)) },
            operState: try d.integer(SubdevDevAttr.operState, as: UInt8.self).flatMap { SubdevOperState(rawValue: UInt32($0)) },
            params: try d.nestedAll(SubdevDevAttr.param).map { p in
                ParamSetting(
                    name: try require(p.string(SubdevParamAttr.name), "param name", in: "dev"),
                    kind: try p.integer(SubdevParamAttr.kind, as: UInt8.self).flatMap { SubdevParamKind(rawValue: UInt32($0)) },
                    value: try require(value(p), "param value", in: "dev"))
            },
            vfio: try d.nested(SubdevDevAttr.vfio).map { v in
                VFIOInfo(index: try require(v.integer(SubdevVfioAttr.index), "vfio index", in: "dev"),
                         devNode: try v.string(SubdevVfioAttr.devNode) ?? "",
                         sysfsPath: try v.string(SubdevVfioAttr.sysfsPath) ?? "",
                         iommuGroup: try v.integer(SubdevVfioAttr.iommuGroup),
                         pasid: try v.integer(SubdevVfioAttr.pasid),
                         registration: try v.integer(SubdevVfioAttr.registration, as: UInt8.self).flatMap { SubdevRegistration(rawValue: UInt32($0)) },
                         reservedIOVA: try v.nestedAll(SubdevVfioAttr.reservedIova).map { r in
                             IOVARangeInfo(start: try require(r.integer(SubdevIovaRangeAttr.start), "iova start", in: "dev"),
                                           end: try require(r.integer(SubdevIovaRangeAttr.end), "iova end", in: "dev"),
                                           kind: try r.string(SubdevIovaRangeAttr.kind) ?? "reserved")
                         })
            },
            details: try d.nestedAll(SubdevDevAttr.detail).map { try fact($0, in: "dev") },
            node: try d.integer(SubdevDevAttr.nodeUid, as: UInt32.self).map { uid in
                NodeAccessInfo(uid: uid, gid: try d.integer(SubdevDevAttr.nodeGid) ?? 0, mode: try d.integer(SubdevDevAttr.nodeMode) ?? 0)
            },
            ownerPID: try d.integer(SubdevDevAttr.ownerPid),
            holders: try d.nestedAll(SubdevDevAttr.holder).map { h in
                HolderInfo(pid: try require(h.integer(SubdevHolderAttr.pid), "holder pid", in: "dev"),
                           uid: try h.integer(SubdevHolderAttr.uid) ?? 0, gid: try h.integer(SubdevHolderAttr.gid) ?? 0)
            },
            reason: try d.string(SubdevDevAttr.reason),
            aerStats: try d.nested(SubdevDevAttr.aerStats).map(stats),
            migrationCompat: try d.string(SubdevDevAttr.migrationCompat))
    }
}
