import XCTest
import Netlink

/// Against the real kernel: the same resolution code that reaches the model.
final class KernelControllerTests: XCTestCase {
    func testResolvesNlctrlAtPortZero() throws {
        let connection = try NetlinkConnection(protocol: .generic, peerPort: 0)
        let nlctrl = try connection.resolveFamily("nlctrl")
        XCTAssertEqual(nlctrl.id, Controller.familyID)
        XCTAssertEqual(nlctrl.name, "nlctrl")
        XCTAssertEqual(nlctrl.multicastGroups["notify"], 16, "nlctrl's notify group is GENL_ID_CTRL")
        XCTAssertTrue(nlctrl.operations.contains { $0.command == UInt32(Controller.Command.getFamily) && $0.flags.contains(.canDump) })
    }

    func testDumpsRegisteredFamilies() throws {
        let connection = try NetlinkConnection(protocol: .generic, peerPort: 0)
        let families = try connection.families()
        XCTAssertTrue(families.contains { $0.name == "nlctrl" && $0.id == Controller.familyID })
        XCTAssertEqual(Set(families.map(\.id)).count, families.count, "family ids are unique")
        XCTAssertGreaterThan(families.count, 1)
    }

    func testUnknownFamilyIsENOENT() throws {
        let connection = try NetlinkConnection(protocol: .generic, peerPort: 0)
        XCTAssertThrowsError(try connection.resolveFamily("nosuchfamily")) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENOENT)
        }
    }

    func testKernelExtendedAckNamesTheOffendingAttribute() throws {
        // nlctrl's policy limits a family name to GENL_NAMSIZ - 1 bytes: a
        // longer one is rejected with an offset that points at it.
        let connection = try NetlinkConnection(protocol: .generic, peerPort: 0)
        var attributes = AttributeEncoder()
        attributes.put(Controller.Attr.version, UInt32(1))
        attributes.put(Controller.Attr.familyName, "a-family-name-far-too-long")
        let request = GenericMessage(family: Controller.familyID, command: Controller.Command.getFamily,
                                     version: Controller.version, attributes: attributes.bytes)
        XCTAssertThrowsError(try connection.execute(request.netlinkMessage)) { error in
            guard let error = error as? NetlinkError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.errno, EINVAL)
            XCTAssertEqual(error.offset, UInt32(GenericMessage.attributesOffset + 8), "the name follows the 8-byte version")
        }
    }
}

/// Multicast by group name, against the kernel's own nlctrl notify group.
final class KernelMulticastTests: XCTestCase {
    func testSubscribesToAKernelGroupByName() throws {
        let nlctrl = try NetlinkConnection(protocol: .generic, peerPort: 0).resolveFamily("nlctrl")
        let subscription = try MulticastSubscription(family: nlctrl, groups: ["notify"], senderPort: 0)
        subscription.cancel()
        XCTAssertThrowsError(try MulticastSubscription(family: nlctrl, groups: ["no-such-group"], senderPort: 0)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENOENT)
            XCTAssertEqual((error as? NetlinkError)?.message, "family nlctrl has no multicast group no-such-group")
        }
    }
}
