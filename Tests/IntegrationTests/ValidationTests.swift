import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// Every bad request is answered with the right errno, an extack message
/// naming the attribute or value at fault, its offset or missing type, and
/// leaves the machine as it was.
final class ValidationTests: XCTestCase {
    var model: ModelProcess!
    var raw: NetlinkConnection!
    var client: SubdevClient!
    var familyID: UInt16 = 0

    override func setUp() async throws {
        model = try ModelProcess.start()
        raw = try NetlinkConnection(protocol: .generic, peerPort: model.port)
        familyID = try raw.resolveFamily("subdev").id
        client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: ParentHandle(bus: "pci", name: "0000:6a:01.0"), type: "dwq", name: "existing")
    }

    override func tearDown() {
        model.stop()
    }

    /// Sends a raw request for `command` and returns the error it got.
    func reject(_ command: SubdevCommand, dump: Bool = false, trailing: [UInt8] = [],
                file: StaticString = #filePath, line: UInt = #line,
                _ build: (inout AttributeEncoder) -> Void) async throws -> NetlinkError {
        let before = try await snapshot()
        var attributes = AttributeEncoder()
        build(&attributes)
        let message = GenericMessage(family: familyID, command: command.rawValue, version: 1, attributes: attributes.bytes + trailing).netlinkMessage
        var caught: NetlinkError?
        do {
            _ = dump ? try raw.dump(message) : try raw.execute(message)
        } catch let error as NetlinkError {
            caught = error
        }
        let after = try await snapshot()
        XCTAssertEqual(before, after, "a failed request changed state", file: file, line: line)
        guard let caught else {
            XCTFail("request succeeded", file: file, line: line)
            return NetlinkError(errno: 0)
        }
        return caught
    }

    func snapshot() async throws -> String {
        let devices = try await client.devices()
        let parents = try await client.parents()
        return "\(devices)\(parents)"
    }

    func putParent(_ a: inout AttributeEncoder) {
        a.put(SubdevDevAttr.busName, "pci")
        a.put(SubdevDevAttr.devName, "0000:6a:01.0")
    }

    let firstOffset = UInt32(GenericMessage.attributesOffset)
    /// bus-name "pci" takes 8 bytes, dev-name "0000:6a:01.0" 20.
    var afterParent: UInt32 { firstOffset + 8 + 20 }

    func testUnknownAttribute() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(UInt16(42), UInt32(1))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "unknown attribute type 42 in dev")
        XCTAssertEqual(error.offset, afterParent)
    }

    func testAttributeTheOperationDoesNotTake() async throws {
        let error = try await reject(.devDel) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "attribute type is not accepted by dev-del")
        XCTAssertEqual(error.offset, afterParent)
    }

    func testWrongLength() async throws {
        let error = try await reject(.devDel) { a in
            putParent(&a)
            a.put(SubdevDevAttr.index, UInt16(0))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "index is 2 bytes long, a u32 takes 4")
        XCTAssertEqual(error.offset, afterParent)
    }

    func testEnumOutOfRange() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.put(SubdevDevAttr.adminState, UInt8(7))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "admin-state 7 out of range 0..1")
        XCTAssertEqual(error.offset, afterParent + 8)
    }

    func testStringTooLong() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.put(SubdevDevAttr.name, String(repeating: "x", count: 64))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "name is 64 bytes long, longer than 63")
        XCTAssertEqual(error.offset, afterParent + 8)
    }

    func testEmptyNameIsTooShort() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.put(SubdevDevAttr.name, "")
        }
        XCTAssertEqual(error.message, "name is 0 bytes long, shorter than 1")
    }

    func testStringWithoutNUL() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type.rawValue, bytes: Array("dwq".utf8))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "type is not a NUL-terminated string")
        XCTAssertEqual(error.offset, afterParent)
    }

    func testNestWithoutNestedFlag() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            var inner = AttributeEncoder()
            inner.put(SubdevParamAttr.name, "wq-size")
            a.put(SubdevDevAttr.param.rawValue, bytes: inner.bytes)
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "param is a nest without NLA_F_NESTED")
    }

    func testBadAttributeInsideANestPointsInsideIt() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.nest(SubdevDevAttr.param) { p in
                p.put(SubdevParamAttr.name, "wq-size")
                p.put(SubdevParamAttr.valueInt, UInt32(16))
            }
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "value-int is 4 bytes long, a u64 takes 8")
        // param nest header (4) + name "wq-size\0" (12) past the nest's start.
        XCTAssertEqual(error.offset, afterParent + 8 + 4 + 12)
    }

    func testMissingRequiredAttribute() async throws {
        let error = try await reject(.devNew) { a in putParent(&a) }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "dev-new needs attribute type")
        XCTAssertEqual(error.missingType, UInt32(SubdevDevAttr.type.rawValue))
        XCTAssertNil(error.offset)
    }

    func testMissingParamNameNamesTheNest() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.nest(SubdevDevAttr.param) { p in p.put(SubdevParamAttr.valueInt, UInt64(16)) }
        }
        XCTAssertEqual(error.missingType, UInt32(SubdevParamAttr.name.rawValue))
        XCTAssertEqual(error.missingNest, afterParent + 8)
    }

    func testTrailingBytes() async throws {
        let error = try await reject(.devGet, trailing: [0, 0]) { a in
            putParent(&a)
            a.put(SubdevDevAttr.index, UInt32(0))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "2 bytes left over after the attributes of dev")
    }

    func testUnknownCommandAndNotificationsAsRequests() async throws {
        let notification = try await reject(.devNewNtf) { a in putParent(&a) }
        XCTAssertEqual(notification.errno, EOPNOTSUPP)
        XCTAssertEqual(notification.message, "dev-new-ntf is a notification, not a request")
        let dumpOfDo = try await reject(.devNew, dump: true) { a in putParent(&a) }
        XCTAssertEqual(dumpOfDo.errno, EOPNOTSUPP)
        XCTAssertEqual(dumpOfDo.message, "dev-new does not support dump")
    }

    // MARK: objects that are not there, names taken

    func testNoSuchParent() async throws {
        let error = try await reject(.devNew) { a in
            a.put(SubdevDevAttr.busName, "pci")
            a.put(SubdevDevAttr.devName, "0000:00:00.0")
            a.put(SubdevDevAttr.type, "dwq")
        }
        XCTAssertEqual(error.errno, ENODEV)
        XCTAssertEqual(error.message, "no parent pci/0000:00:00.0")
        XCTAssertEqual(error.offset, firstOffset + 8)
    }

    func testNameWithASlash() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.put(SubdevDevAttr.name, "a/b")
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "name a/b must not contain /, so that it never reads as a PARENT/INDEX handle")
        XCTAssertEqual(error.offset, afterParent + 8)
    }

    func testDumpFilterNamingNoParentEndsTheDumpWithTheError() async throws {
        // Validation passed, so the error comes in NLMSG_DONE, as the
        // kernel's netlink_dump_done sends it; the client surfaces it alike.
        let error = try await reject(.devGet, dump: true) { a in
            a.put(SubdevDevAttr.busName, "pci")
            a.put(SubdevDevAttr.devName, "0000:99:00.0")
        }
        XCTAssertEqual(error.errno, ENODEV)
        XCTAssertEqual(error.message, "no parent pci/0000:99:00.0")
        XCTAssertEqual(error.offset, firstOffset + 8)
    }

    func testNoSuchType() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "vgpu-8q")
        }
        XCTAssertEqual(error.errno, ENOENT)
        XCTAssertEqual(error.message, "parent pci/0000:6a:01.0 has no type vgpu-8q")
        XCTAssertEqual(error.offset, afterParent)
    }

    func testNameTaken() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.put(SubdevDevAttr.name, "existing")
        }
        XCTAssertEqual(error.errno, EEXIST)
        XCTAssertEqual(error.message, "a subdevice named existing already exists")
    }

    func testNoSuchSubdevice() async throws {
        let byIndex = try await reject(.devDel) { a in
            putParent(&a)
            a.put(SubdevDevAttr.index, UInt32(9))
        }
        XCTAssertEqual(byIndex.errno, ENOENT)
        XCTAssertEqual(byIndex.message, "no subdevice pci/0000:6a:01.0/9")
        let byName = try await reject(.devSet) { a in a.put(SubdevDevAttr.name, "nobody") }
        XCTAssertEqual(byName.errno, ENOENT)
        XCTAssertEqual(byName.message, "no subdevice named nobody")
        let neither = try await reject(.devDel) { a in putParent(&a) }
        XCTAssertEqual(neither.missingType, UInt32(SubdevDevAttr.index.rawValue))
    }

    // MARK: parameters, in the schema's words

    /// A dev-new request with one param nest, for a dwq unless told otherwise.
    func param(_ name: String, _ value: ParamValue, bus: String = "pci", parent: String = "0000:6a:01.0",
               type: String = "dwq") -> (inout AttributeEncoder) -> Void {
        { a in
            a.put(SubdevDevAttr.busName, bus)
            a.put(SubdevDevAttr.devName, parent)
            a.put(SubdevDevAttr.type, type)
            a.nest(SubdevDevAttr.param) { p in
                p.put(SubdevParamAttr.name, name)
                switch value {
                case .int(let n): p.put(SubdevParamAttr.valueInt, n)
                case .string(let s): p.put(SubdevParamAttr.valueStr, s)
                }
            }
        }
    }

    func testParameterOutOfRange() async throws {
        let error = try await reject(.devNew, param("wq-size", .int(300)))
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "wq-size 300 out of range 1..96")
        XCTAssertEqual(error.offset, afterParent + 8)
        let zero = try await reject(.devNew, param("wq-size", .int(0)))
        XCTAssertEqual(zero.message, "wq-size 0 out of range 1..96")
    }

    func testParameterOfTheWrongKind() async throws {
        let error = try await reject(.devNew, param("wq-size", .string("big")))
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "wq-size is a u32 and takes value-int, not value-str")
    }

    func testBoolParameterOutOfRange() async throws {
        let error = try await reject(.devNew, param("block-on-fault", .int(2)))
        XCTAssertEqual(error.message, "block-on-fault is a bool: 0 or 1, not 2")
    }

    func testUnknownParameter() async throws {
        let error = try await reject(.devNew, param("colour", .int(1)))
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "type dwq has no parameter colour")
    }

    func testParameterWithoutValue() async throws {
        let error = try await reject(.devNew) { a in
            putParent(&a)
            a.put(SubdevDevAttr.type, "dwq")
            a.nest(SubdevDevAttr.param) { p in p.put(SubdevParamAttr.name, "wq-size") }
        }
        XCTAssertEqual(error.message, "parameter wq-size has no value-int or value-str")
    }

    func testParameterGivenTwice() async throws {
        let error = try await reject(.devNew) { a in
            param("wq-size", .int(8))(&a)
            a.nest(SubdevDevAttr.param) { p in
                p.put(SubdevParamAttr.name, "wq-size")
                p.put(SubdevParamAttr.valueInt, UInt64(9))
            }
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "parameter wq-size is given twice")
    }

    /// A dev-new request for the mtty card with one param nest.
    func serialParam(_ name: String, _ value: ParamValue) -> (inout AttributeEncoder) -> Void {
        param(name, value, bus: "virtual", parent: "mtty", type: "mtty-1")
    }

    func testEnumParameterErrors() async throws {
        let notAChoice = try await reject(.devNew, serialParam("parity", .string("mark")))
        XCTAssertEqual(notAChoice.errno, EINVAL)
        XCTAssertEqual(notAChoice.message, "parity mark is not one of none, even, odd")
        let number = try await reject(.devNew, serialParam("parity", .int(1)))
        XCTAssertEqual(number.message, "parity is an enum and takes value-str, not value-int")
    }

    func testStringParameterErrors() async throws {
        let number = try await reject(.devNew, serialParam("label", .int(7)))
        XCTAssertEqual(number.errno, EINVAL)
        XCTAssertEqual(number.message, "label is a string and takes value-str, not value-int")
    }

    func testImmutableParameterCannotChange() async throws {
        let error = try await reject(.devSet) { a in
            a.put(SubdevDevAttr.name, "existing")
            a.nest(SubdevDevAttr.param) { p in
                p.put(SubdevParamAttr.name, "wq-size")
                p.put(SubdevParamAttr.valueInt, UInt64(8))
            }
        }
        XCTAssertEqual(error.errno, EOPNOTSUPP)
        XCTAssertEqual(error.message, "wq-size cannot change while the subdevice exists")
    }

    func testSetIsAllOrNothing() async throws {
        // A good admin-state with a bad parameter changes neither.
        let error = try await reject(.devSet) { a in
            a.put(SubdevDevAttr.name, "existing")
            a.put(SubdevDevAttr.adminState, UInt8(SubdevAdminState.down.rawValue))
            a.nest(SubdevDevAttr.param) { p in
                p.put(SubdevParamAttr.name, "priority")
                p.put(SubdevParamAttr.valueInt, UInt64(99))
            }
        }
        XCTAssertEqual(error.message, "priority 99 out of range 1..15")
    }
}
