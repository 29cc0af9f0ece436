import Netlink
import SubdevUAPI
import XCTest

/// The compiled SubdevUAPI module says what the spec says.
final class GeneratedUAPITests: XCTestCase {
    func testFamilyAndConstants() {
        XCTAssertEqual(subdevFamilyName, "subdev")
        XCTAssertEqual(subdevFamilyVersion, 1)
        XCTAssertEqual(SubdevConstant.version, 1)
        XCTAssertEqual(SubdevConstant.nameLen, 63)
        XCTAssertEqual(SubdevConstant.stringValueLen, 255)
    }

    func testEnums() {
        XCTAssertEqual(SubdevAdminState.down.rawValue, 0)
        XCTAssertEqual(SubdevAdminState.up.rawValue, 1)
        XCTAssertEqual(SubdevOperState.allCases.map(\.name), ["down", "up", "removing", "error"])
        XCTAssertEqual(SubdevParamKind.allCases.map(\.name), ["u8", "u16", "u32", "u64", "bool", "string", "enum"])
        XCTAssertEqual(SubdevParamKind.enum.rawValue, 6)
        XCTAssertEqual(SubdevParamKind(name: "enum"), .enum)
        XCTAssertNil(SubdevParamKind(name: "u128"))
        XCTAssertEqual(SubdevTypeClass.vgpu.description, "vgpu")
        XCTAssertEqual(SubdevDisplay(name: "dmabuf"), .dmabuf)
        XCTAssertEqual(SubdevDisplay.dmabuf.rawValue, 2)
        XCTAssertEqual("\(SubdevDisplay.none)", "none")
        for kind in SubdevParamKind.allCases {
            XCTAssertEqual(SubdevParamKind(name: kind.name), kind)
        }
    }

    func testAttributeNumbers() {
        XCTAssertEqual(SubdevDevAttr.busName.rawValue, 1)
        XCTAssertEqual(SubdevDevAttr.busName.name, "bus-name")
        XCTAssertEqual(SubdevDevAttr.vfio.rawValue, 9)
        XCTAssertEqual(SubdevCounterAttr.allCases.map(\.rawValue), [1, 2, 3])
        XCTAssertEqual(SubdevParentAttr.devCount.rawValue, 7)
        XCTAssertEqual(SubdevParamAttr.doc.rawValue, 11)
        XCTAssertEqual(SubdevParamAttr.maxInt.name, "max-int")
        XCTAssertEqual(SubdevTypeAttr.class.name, "class")
        XCTAssertEqual(SubdevTypeAttr.migratable.rawValue, 10)
        XCTAssertEqual(SubdevVfioAttr.pasid.rawValue, 5)
    }

    func testCommandsAndGroups() {
        XCTAssertEqual(SubdevCommand.allCases.map(\.rawValue), Array(1...19))
        XCTAssertEqual(SubdevCommand.injectHotplug.name, "inject-hotplug")
        XCTAssertEqual(SubdevCommand.parentGet.rawValue, 1)
        XCTAssertEqual(SubdevCommand.devNew.name, "dev-new")
        XCTAssertEqual(SubdevCommand.devDelNtf.rawValue, 9)
        XCTAssertEqual(SubdevMulticastGroup.allCases.map(\.rawValue), ["config", "events"])
        XCTAssertEqual(SubdevMulticastGroup(rawValue: "config"), .config)
    }

    func testPolicySets() throws {
        let policy = subdevFamilyPolicy
        XCTAssertEqual(policy.name, subdevFamilyName)
        XCTAssertEqual(policy.version, subdevFamilyVersion)
        XCTAssertEqual(policy.sets.keys.sorted(), ["aer-stats", "compat", "counter", "dev", "event", "holder", "iova-range", "param", "parent", "type", "vfio"])

        let dev = try XCTUnwrap(policy.sets["dev"])
        XCTAssertEqual(dev.maxType, 21)
        let name = try XCTUnwrap(dev.attribute(named: "name"))
        XCTAssertEqual(name.id, SubdevDevAttr.name.rawValue)
        XCTAssertEqual(name.type, .string)
        XCTAssertEqual(name.minLength, 1)
        XCTAssertEqual(name.maxLength, 63)

        let adminState = try XCTUnwrap(dev.attributes[SubdevDevAttr.adminState.rawValue])
        XCTAssertEqual(adminState.type, .u8)
        XCTAssertEqual(adminState.enumName, "admin-state")
        XCTAssertEqual(adminState.min, 0)
        XCTAssertEqual(adminState.max, UInt64(SubdevAdminState.up.rawValue))
        let operState = try XCTUnwrap(dev.attribute(named: "oper-state"))
        XCTAssertEqual(operState.max, UInt64(SubdevOperState.allCases.map(\.rawValue).max() ?? 0))
        let kind = try XCTUnwrap(policy.sets["param"]?.attribute(named: "kind"))
        XCTAssertEqual(kind.max, UInt64(SubdevParamKind.enum.rawValue))

        let param = try XCTUnwrap(dev.attribute(named: "param"))
        XCTAssertEqual(param.type, .nest)
        XCTAssertEqual(param.nestedSet, "param")
        XCTAssertTrue(param.multi)
        let vfio = try XCTUnwrap(dev.attribute(named: "vfio"))
        XCTAssertEqual(vfio.nestedSet, "vfio")
        XCTAssertFalse(vfio.multi)

        let vendor = try XCTUnwrap(policy.sets["parent"]?.attribute(named: "vendor"))
        XCTAssertEqual(vendor.maxLength, SubdevConstant.stringValueLen)
        XCTAssertNil(vendor.minLength)
        let mutable = try XCTUnwrap(policy.sets["param"]?.attribute(named: "mutable"))
        XCTAssertEqual(mutable.type, .flag)

        // Every Swift attribute enum agrees with the policy, id for id.
        let enums: [String: [(UInt16, String)]] = [
            "counter": SubdevCounterAttr.allCases.map { ($0.rawValue, $0.name) },
            "parent": SubdevParentAttr.allCases.map { ($0.rawValue, $0.name) },
            "param": SubdevParamAttr.allCases.map { ($0.rawValue, $0.name) },
            "type": SubdevTypeAttr.allCases.map { ($0.rawValue, $0.name) },
            "vfio": SubdevVfioAttr.allCases.map { ($0.rawValue, $0.name) },
            "dev": SubdevDevAttr.allCases.map { ($0.rawValue, $0.name) },
        ]
        for (setName, cases) in enums {
            let set = try XCTUnwrap(policy.sets[setName])
            XCTAssertEqual(set.attributes.count, cases.count, setName)
            for (id, name) in cases {
                XCTAssertEqual(set.attributes[id]?.name, name, "\(setName) attribute \(id)")
            }
        }
    }

    func testPolicyOperations() throws {
        let policy = subdevFamilyPolicy
        XCTAssertEqual(policy.operations.count, SubdevCommand.allCases.count)
        for command in SubdevCommand.allCases {
            XCTAssertEqual(policy.operations[command.rawValue]?.name, command.name)
        }

        let devNew = try XCTUnwrap(policy.operation(named: "dev-new"))
        XCTAssertEqual(devNew.command, SubdevCommand.devNew.rawValue)
        XCTAssertTrue(devNew.adminPerm)
        XCTAssertEqual(devNew.attributeSet, "dev")
        XCTAssertEqual(devNew.doRequest, [
            SubdevDevAttr.busName, .devName, .type, .name, .adminState, .param, .nodeUid, .nodeGid, .nodeMode, .owned,
        ].map(\.rawValue))
        XCTAssertNil(devNew.dumpRequest)
        XCTAssertFalse(devNew.isNotification)

        let parentGet = try XCTUnwrap(policy.operation(named: "parent-get"))
        XCTAssertFalse(parentGet.adminPerm)
        XCTAssertEqual(parentGet.doRequest, [SubdevParentAttr.busName.rawValue, SubdevParentAttr.devName.rawValue])
        XCTAssertEqual(parentGet.dumpRequest, [], "a dump without request attributes takes none")

        let typeGet = try XCTUnwrap(policy.operation(named: "type-get"))
        XCTAssertEqual(typeGet.doRequest, [1, 2, 3])
        XCTAssertEqual(typeGet.dumpRequest, [1, 2])

        XCTAssertEqual(policy.operation(named: "dev-del")?.doRequest, [
            SubdevDevAttr.busName, .devName, .index, .name, .force, .deadlineMs,
        ].map(\.rawValue))

        // A do that the spec gives a reply may be sent without NLM_F_ACK.
        let replying = policy.operations.values.filter(\.doReplies).map(\.name).sorted()
        XCTAssertEqual(replying, ["dev-compat", "dev-get", "dev-new", "parent-get", "type-get"])

        let removeRequest = try XCTUnwrap(policy.operation(named: "remove-request-ntf"))
        XCTAssertTrue(removeRequest.isNotification, "an event is not a request")
        XCTAssertEqual(removeRequest.multicastGroup, "events")
        XCTAssertEqual(removeRequest.attributeSet, "event")
        XCTAssertEqual(removeRequest.event?.first, SubdevEventAttr.seq.rawValue)
        XCTAssertEqual(policy.operation(named: "dev-set")?.adminPerm, true)

        for name in ["dev-new-ntf", "dev-change-ntf", "dev-del-ntf"] {
            let notification = try XCTUnwrap(policy.operation(named: name))
            XCTAssertTrue(notification.isNotification, name)
            XCTAssertEqual(notification.notify, "dev-get", name)
            XCTAssertEqual(notification.multicastGroup, "config", name)
            XCTAssertEqual(notification.attributeSet, "dev", name)
            XCTAssertNil(notification.doRequest, name)
            XCTAssertNil(notification.dumpRequest, name)
            XCTAssertFalse(notification.adminPerm, name)
        }
    }

    func testPolicyGroupsAndEnums() {
        let policy = subdevFamilyPolicy
        XCTAssertEqual(policy.multicastGroups, SubdevMulticastGroup.allCases.map(\.rawValue))
        XCTAssertEqual(policy.enums["admin-state"], SubdevAdminState.allCases.map(\.name))
        XCTAssertEqual(policy.enums["oper-state"], SubdevOperState.allCases.map(\.name))
        XCTAssertEqual(policy.enums["param-kind"], SubdevParamKind.allCases.map(\.name))
        XCTAssertEqual(policy.enums["type-class"], SubdevTypeClass.allCases.map(\.name))
        XCTAssertEqual(policy.enums["display"], ["none", "region", "dmabuf"])
        XCTAssertEqual(policy.enums["registration"], ["emulated-iommu", "iommu-group"])
        XCTAssertEqual(policy.enums["aer-severity"], ["correctable", "non-fatal", "fatal"])
        XCTAssertEqual(policy.enums["channel-state"], ["normal", "frozen", "perm-failure"])
        XCTAssertEqual(policy.enums["aer-result"], ["recovered", "need-reset", "disconnect"])
        XCTAssertEqual(policy.enums["aer-stage"], SubdevAerStage.allCases.map(\.name))
        XCTAssertEqual(policy.enums["hotplug-action"], ["remove", "add", "surprise-remove"])
        XCTAssertEqual(policy.enums["hotplug-stage"], SubdevHotplugStage.allCases.map(\.name))
        XCTAssertEqual(policy.enums.count, 12)
    }
}
