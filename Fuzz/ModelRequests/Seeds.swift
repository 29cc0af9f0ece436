import Netlink
import SubdevModel
import SubdevUAPI

/// Well-formed requests of every operation, as the seed corpus: the
/// fuzzer mutates from requests that reach the handlers, not only the
/// decoder. `subdev-fuzz --write-seeds DIR` writes them.
enum Seeds {
    static let family = ModelConfiguration.defaultFamilyID

    static func request(_ command: SubdevCommand, dump: Bool = false, _ build: (inout AttributeEncoder) -> Void = { _ in }) -> [UInt8] {
        var attributes = AttributeEncoder()
        build(&attributes)
        return GenericMessage(family: family, command: command.rawValue, version: UInt8(subdevFamilyVersion),
                              flags: dump ? [.request, .dump] : [.request, .ack], sequence: 1,
                              attributes: attributes.bytes).encoded()
    }

    static func parent(_ bus: String, _ name: String, into out: inout AttributeEncoder, busAttr: UInt16, nameAttr: UInt16) {
        out.put(busAttr, bus)
        out.put(nameAttr, name)
    }

    static func param(_ name: String, _ value: UInt64?, text: String? = nil, into out: inout AttributeEncoder) {
        out.nest(SubdevDevAttr.param) { nest in
            nest.put(SubdevParamAttr.name, name)
            if let value { nest.put(SubdevParamAttr.valueInt, value) }
            if let text { nest.put(SubdevParamAttr.valueStr, text) }
        }
    }

    static var all: [(String, [UInt8])] {
        let dev = SubdevDevAttr.self
        var seeds: [(String, [UInt8])] = []
        var getFamily = AttributeEncoder()
        getFamily.put(Controller.Attr.familyName, "subdev")
        seeds.append(("ctrl-getfamily", GenericMessage(family: Controller.familyID, command: Controller.Command.getFamily,
                                                       version: 1, flags: [.request], sequence: 1, attributes: getFamily.bytes).encoded()))
        seeds.append(("parent-dump", request(.parentGet, dump: true)))
        seeds.append(("parent-get", request(.parentGet) { $0.put(SubdevParentAttr.busName, "pci"); $0.put(SubdevParentAttr.devName, "0000:6a:01.0") }))
        seeds.append(("type-dump", request(.typeGet, dump: true)))
        seeds.append(("type-get", request(.typeGet) {
            $0.put(SubdevTypeAttr.busName, "pci"); $0.put(SubdevTypeAttr.devName, "0000:3b:00.0"); $0.put(SubdevTypeAttr.name, "A40-8Q")
        }))
        seeds.append(("dev-new-dwq", request(.devNew) {
            $0.put(dev.busName, "pci"); $0.put(dev.devName, "0000:6a:01.0"); $0.put(dev.type, "dwq"); $0.put(dev.name, "w")
            param("wq-size", 32, into: &$0); param("block-on-fault", 1, into: &$0)
            $0.put(dev.nodeMode, UInt16(0o660))
        }))
        seeds.append(("dev-new-swq", request(.devNew) {
            $0.put(dev.busName, "pci"); $0.put(dev.devName, "0000:6a:01.0"); $0.put(dev.type, "swq-slice"); param("entries", 8, into: &$0)
        }))
        seeds.append(("dev-new-vgpu", request(.devNew) {
            $0.put(dev.busName, "pci"); $0.put(dev.devName, "0000:3b:00.0"); $0.put(dev.type, "A40-8Q"); $0.put(dev.name, "g")
            param("frame-rate-limit", 30, into: &$0)
        }))
        seeds.append(("dev-new-mtty", request(.devNew) {
            $0.put(dev.busName, "virtual"); $0.put(dev.devName, "mtty"); $0.put(dev.type, "mtty-2"); $0.put(dev.adminState, UInt8(0))
            param("parity", nil, text: "even", into: &$0); param("label", nil, text: "com1", into: &$0)
        }))
        seeds.append(("dev-dump", request(.devGet, dump: true)))
        seeds.append(("dev-get-name", request(.devGet) { $0.put(dev.name, "w") }))
        seeds.append(("dev-get-index", request(.devGet) { $0.put(dev.busName, "pci"); $0.put(dev.devName, "0000:6a:01.0"); $0.put(dev.index, UInt32(0)) }))
        seeds.append(("dev-set", request(.devSet) { $0.put(dev.name, "w"); $0.put(dev.adminState, UInt8(0)); param("priority", 3, into: &$0) }))
        seeds.append(("dev-del", request(.devDel) { $0.put(dev.name, "g"); $0.put(dev.deadlineMs, UInt32(100)) }))
        seeds.append(("dev-del-force", request(.devDel) { $0.put(dev.busName, "virtual"); $0.put(dev.devName, "mtty"); $0.put(dev.index, UInt32(0)); $0.putFlag(dev.force) }))
        seeds.append(("dev-compat", request(.devCompat) {
            $0.nest(SubdevCompatAttr.source) { $0.put(dev.name, "g") }
            $0.nest(SubdevCompatAttr.destination) { side in
                side.put(dev.busName, "pci"); side.put(dev.devName, "0000:3b:00.0"); side.put(dev.type, "A40-8Q")
                side.put(dev.migrationCompat, "vgpu;model=A40;profile=A40-8Q;abi=2")
            }
        }))
        seeds.append(("inject-aer", request(.injectAer) {
            $0.put(SubdevEventAttr.name, "w"); $0.put(SubdevEventAttr.severity, UInt8(2)); $0.put(SubdevEventAttr.timeoutMs, UInt32(10))
        }))
        seeds.append(("inject-hotplug", request(.injectHotplug) {
            $0.put(SubdevEventAttr.busName, "virtual"); $0.put(SubdevEventAttr.devName, "mtty")
            $0.put(SubdevEventAttr.hotplugAction, UInt8(0)); $0.put(SubdevEventAttr.windowMs, UInt32(10))
        }))
        seeds.append(("aer-answer", request(.aerAnswer) {
            $0.put(SubdevEventAttr.name, "w"); $0.put(SubdevEventAttr.seq, UInt64(1)); $0.put(SubdevEventAttr.aerResult, UInt8(0))
        }))
        // Two requests in one datagram, as a batch sends them.
        seeds.append(("two-in-one", request(.parentGet, dump: true) + request(.devGet) { $0.put(dev.name, "w") }))
        return seeds
    }
}
