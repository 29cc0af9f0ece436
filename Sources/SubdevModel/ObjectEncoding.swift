import Netlink
import SubdevUAPI

/// How the model's objects go on the wire: the attributes of replies,
/// dumps and notifications, in the order the spec lists them.
enum ObjectEncoding {
    static func parent(_ parent: Parent, deviceCount: Int) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevParentAttr.busName, parent.bus)
        out.put(SubdevParentAttr.devName, parent.name)
        out.put(SubdevParentAttr.vendor, parent.vendor)
        out.put(SubdevParentAttr.driver, parent.driver)
        for type in parent.types { out.put(SubdevParentAttr.typeName, type.name) }
        for counter in parent.counters {
            out.nest(SubdevParentAttr.counter) { nest in
                nest.put(SubdevCounterAttr.name, counter.name)
                nest.put(SubdevCounterAttr.total, counter.total)
                nest.put(SubdevCounterAttr.reserved, counter.reserved)
            }
        }
        out.put(SubdevParentAttr.devCount, UInt32(deviceCount))
        return out.bytes
    }

    static func type(_ type: DeviceType, of parent: Parent) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevTypeAttr.busName, parent.bus)
        out.put(SubdevTypeAttr.devName, parent.name)
        out.put(SubdevTypeAttr.name, type.name)
        out.put(SubdevTypeAttr.class, UInt8(type.typeClass.rawValue))
        out.put(SubdevTypeAttr.deviceApi, type.deviceAPI)
        out.put(SubdevTypeAttr.description, type.description)
        out.put(SubdevTypeAttr.available, parent.instancesThatFit(type.defaultCost))
        for param in type.params {
            out.nest(SubdevTypeAttr.param) { nest in schema(param, into: &nest) }
        }
        out.put(SubdevTypeAttr.display, UInt8(type.display.rawValue))
        if type.migratable { out.putFlag(SubdevTypeAttr.migratable) }
        return out.bytes
    }

    static func schema(_ param: ParamSchema, into out: inout AttributeEncoder) {
        out.put(SubdevParamAttr.name, param.name)
        out.put(SubdevParamAttr.kind, UInt8(param.kind.rawValue))
        if param.isInteger {
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
    }

    static func device(_ device: Subdevice, parent: Parent) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevDevAttr.busName, parent.bus)
        out.put(SubdevDevAttr.devName, parent.name)
        out.put(SubdevDevAttr.index, device.index)
        if let name = device.name { out.put(SubdevDevAttr.name, name) }
        out.put(SubdevDevAttr.type, device.typeName)
        out.put(SubdevDevAttr.adminState, UInt8(device.adminState.rawValue))
        out.put(SubdevDevAttr.operState, UInt8(device.operState.rawValue))
        let type = parent.type(device.typeName)
        for (name, value) in device.params {
            out.nest(SubdevDevAttr.param) { nest in
                nest.put(SubdevParamAttr.name, name)
                if let kind = type?.param(name)?.kind { nest.put(SubdevParamAttr.kind, UInt8(kind.rawValue)) }
                switch value {
                case .int(let number): nest.put(SubdevParamAttr.valueInt, number)
                case .string(let text): nest.put(SubdevParamAttr.valueStr, text)
                }
            }
        }
        out.nest(SubdevDevAttr.vfio) { nest in
            nest.put(SubdevVfioAttr.index, device.vfioIndex)
            nest.put(SubdevVfioAttr.devNode, device.devNode)
            nest.put(SubdevVfioAttr.sysfsPath, "/sys/bus/\(parent.bus)/devices/\(parent.name)/subdev/\(device.index)/vfio-dev/vfio\(device.vfioIndex)")
            nest.put(SubdevVfioAttr.iommuGroup, parent.iommuGroup)
            if let pasid = device.pasid { nest.put(SubdevVfioAttr.pasid, pasid) }
        }
        return out.bytes
    }
}
