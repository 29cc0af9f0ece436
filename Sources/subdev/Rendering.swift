import Subdev
import SubdevUAPI

/// Text and JSON forms of the family's objects, devlink style: a head line
/// keyed by the handle, details indented below it.
enum Rendering {
    // MARK: parents

    static func text(_ parent: ParentInfo) -> [String] {
        var head = "\(parent.handle): vendor \(quoted(parent.vendor)) driver \(parent.driver) devs \(parent.deviceCount)"
        if let generation = parent.generation { head += " generation \(generation)" }
        var lines = [head,
                     "  types \(parent.typeNames.joined(separator: " "))"]
        for counter in parent.counters {
            lines.append("  counter \(counter.name) total \(counter.total) reserved \(counter.reserved) free \(counter.total - min(counter.total, counter.reserved))")
        }
        if let stage = parent.hotplugStage { lines.append("  hotplug \(stage)") }
        if let stats = parent.aerStats, stats != AERStatsInfo() { lines.append("  " + text(stats)) }
        return lines
    }

    static func text(_ stats: AERStatsInfo) -> String {
        "aer correctable \(stats.correctable) non-fatal \(stats.nonFatal) fatal \(stats.fatal) resets \(stats.resets)"
    }

    static func json(_ stats: AERStatsInfo) -> JSONObject {
        ["correctable": stats.correctable, "fatal": stats.fatal, "non-fatal": stats.nonFatal, "resets": stats.resets]
    }

    static func json(_ parent: ParentInfo) -> JSONObject {
        var object: JSONObject = [
            "vendor": parent.vendor, "driver": parent.driver, "types": parent.typeNames, "devs": parent.deviceCount,
            "counters": JSONObject(parent.counters.map {
                ($0.name, (["total": $0.total, "reserved": $0.reserved] as JSONObject).json)
            }),
        ]
        if let stats = parent.aerStats { object["aer"] = json(stats) }
        if let stage = parent.hotplugStage { object["hotplug"] = stage.name }
        if let generation = parent.generation { object["generation"] = generation }
        return object
    }

    // MARK: types

    static func text(_ type: TypeInfo) -> [String] {
        var head = "\(type.parent) type \(type.name)"
        if let typeClass = type.typeClass { head += " class \(typeClass)" }
        head += " device-api \(type.deviceAPI) available \(type.available)"
        if let display = type.display { head += " display \(display)" }
        if let registration = type.registration { head += " registration \(registration)" }
        if type.migratable { head += " migratable" }
        var lines = [head, "  description \(quoted(type.description))"]
        if !type.capabilities.isEmpty {
            lines.append("  capabilities " + type.capabilities.map { "\($0.name) \(quoted(display($0.value, kind: $0.kind)))" }.joined(separator: " "))
        }
        if let compat = type.migrationCompat { lines.append("  migration-compat \(compat)") }
        if !type.instanceCost.isEmpty {
            lines.append("  instance-cost " + type.instanceCost.map { "\($0.name) \($0.reserved)" }.joined(separator: " "))
        }
        for param in type.params {
            var line = "  param \(param.name) \(param.kind)"
            if param.kind == .enum { line += " choices \(param.choices.joined(separator: ","))" }
            if param.isInteger, param.kind != .bool, let min = param.min, let max = param.max { line += " range \(min)..\(max)" }
            if let value = param.defaultValue { line += " default \(quoted(display(value, kind: param.kind)))" }
            if param.mutable { line += " mutable" }
            if param.optional { line += " optional" }
            lines.append(line)
            if !param.doc.isEmpty { lines.append("    \(param.doc)") }
        }
        return lines
    }

    static func json(_ type: TypeInfo) -> JSONObject {
        var object: JSONObject = ["device-api": type.deviceAPI, "description": type.description,
                                     "available": type.available, "migratable": type.migratable,
                                     "capabilities": facts(type.capabilities)]
        if let compat = type.migrationCompat { object["migration-compat"] = compat }
        object["instance-cost"] = JSONObject(type.instanceCost.map { ($0.name, $0.reserved.json) })
        if let typeClass = type.typeClass { object["class"] = typeClass.name }
        if let display = type.display { object["display"] = display.name }
        if let registration = type.registration { object["registration"] = registration.name }
        object["params"] = type.params.map { param -> JSONObject in
            var entry: JSONObject = ["name": param.name, "kind": param.kind.name, "mutable": param.mutable,
                                        "optional": param.optional, "doc": param.doc]
            if param.isInteger, param.kind != .bool {
                if let min = param.min { entry["min"] = min }
                if let max = param.max { entry["max"] = max }
            }
            if param.kind == .enum { entry["choices"] = param.choices }
            if let value = param.defaultValue { entry["default"] = jsonValue(value, kind: param.kind) }
            return entry
        }
        return object
    }

    // MARK: subdevices

    static func text(_ device: DeviceInfo) -> [String] {
        var head = "\(device.parent)/\(device.index):"
        if let name = device.name { head += " name \(name)" }
        head += " type \(device.type)"
        if let state = device.adminState { head += " state \(state)" }
        if let state = device.operState { head += " oper \(state)" }
        var lines = [head]
        if let vfio = device.vfio {
            var line = "  vfio vfio\(vfio.index) \(vfio.devNode)"
            if let registration = vfio.registration { line += " registration \(registration)" }
            if let group = vfio.iommuGroup { line += " iommu-group \(group)" }
            if let pasid = vfio.pasid { line += " pasid \(pasid)" }
            lines.append(line)
            if !vfio.reservedIOVA.isEmpty {
                lines.append("  reserved-iova " + vfio.reservedIOVA.map { "\(hex($0.start))-\(hex($0.end)) \($0.kind)" }.joined(separator: " "))
            }
        }
        if let node = device.node {
            var line = "  node uid \(node.uid) gid \(node.gid) mode 0\(String(node.mode, radix: 8))"
            if let owner = device.ownerPID { line += " owner-pid \(owner)" }
            lines.append(line)
        }
        for holder in device.holders {
            lines.append("  holder pid \(holder.pid) uid \(holder.uid) gid \(holder.gid)")
        }
        if !device.params.isEmpty {
            lines.append("  params " + device.params.map { "\($0.name) \(quoted(display($0.value, kind: $0.kind)))" }.joined(separator: " "))
        }
        if !device.details.isEmpty {
            lines.append("  details " + device.details.map { "\($0.name) \(quoted(display($0.value, kind: $0.kind)))" }.joined(separator: " "))
        }
        if let stats = device.aerStats, stats != AERStatsInfo() { lines.append("  " + text(stats)) }
        return lines
    }

    /// A subdevice's object. Its members are added in the order they are
    /// written in (`JSONKeyOrder`), so a listing of many is not sorted
    /// member by member; the writer would sort them otherwise.
    static func json(_ device: DeviceInfo) -> JSONObject {
        var object = JSONObject()
        object.reserveCapacity(13)
        if let stats = device.aerStats { object["aer"] = json(stats) }
        if !device.details.isEmpty { object["details"] = facts(device.details) }
        object["holders"] = device.holders.map { ["gid": $0.gid, "pid": $0.pid, "uid": $0.uid] as JSONObject }
        if let compat = device.migrationCompat { object["migration-compat"] = compat }
        if let name = device.name { object["name"] = name }
        if let node = device.node { object["node"] = ["gid": node.gid, "mode": "0" + String(node.mode, radix: 8), "uid": node.uid] as JSONObject }
        if let state = device.operState { object["oper"] = state.name }
        if let owner = device.ownerPID { object["owner-pid"] = owner }
        object["params"] = JSONObject(device.params.map { ($0.name, jsonValue($0.value, kind: $0.kind)) })
        if let reason = device.reason { object["reason"] = reason }
        if let state = device.adminState { object["state"] = state.name }
        object["type"] = device.type
        if let vfio = device.vfio {
            var entry: JSONObject = ["dev-node": vfio.devNode, "index": vfio.index]
            entry.reserveCapacity(7)
            if let group = vfio.iommuGroup { entry["iommu-group"] = group }
            if let pasid = vfio.pasid { entry["pasid"] = pasid }
            if let registration = vfio.registration { entry["registration"] = registration.name }
            entry["reserved-iova"] = vfio.reservedIOVA.map { ["end": $0.end, "kind": $0.kind, "start": $0.start] as JSONObject }
            entry["sysfs-path"] = vfio.sysfsPath
            object["vfio"] = entry
        }
        return object
    }

    static func facts(_ facts: [FactInfo]) -> JSONObject {
        JSONObject(facts.map { ($0.name, jsonValue($0.value, kind: $0.kind)) })
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    static func key(_ device: DeviceInfo) -> String { "\(device.parent)/\(device.index)" }

    // MARK: values

    static func display(_ value: ParamValue, kind: SubdevParamKind?) -> String {
        if kind == .bool, case .int(let number) = value { return number == 0 ? "false" : "true" }
        return value.description
    }

    static func jsonValue(_ value: ParamValue, kind: SubdevParamKind?) -> JSONValue {
        switch value {
        case .int(let number): return kind == .bool ? .bool(number != 0) : .unsigned(number)
        case .string(let text): return .string(text)
        }
    }

    /// Text as a shell would need it to read it back as one word.
    static func quoted(_ text: String) -> String {
        text.isEmpty || text.contains(" ") ? "\"\(text)\"" : text
    }
}
