import XCTest
import Netlink
import SubdevPlugin
import SubdevPlugins
import SubdevUAPI
@testable import SubdevModel

/// What a type's subdevices share is encoded once and reused: the reused
/// bytes must be what encoding afresh gives.
final class ObjectEncodingTests: XCTestCase {
    private func type() -> ParentEncoding.TypeEncoding {
        ParentEncoding.TypeEncoding(name: "wq", registration: 1, kinds: [("size", 1), ("mode", 2)], migrationCompat: nil)
    }

    private func fresh(_ list: [(name: String, value: ParamValue)], type: ParentEncoding.TypeEncoding) -> [UInt8] {
        var out = AttributeEncoder()
        ObjectEncoding.params(list, type: type, into: &out)
        return out.bytes
    }

    /// Each round's list is new and dropped afterwards, so the allocator
    /// would hand its storage to the next round's list, were the stored
    /// bytes not holding it; more rounds than the limit, so the stored
    /// lists also start over.
    func testParameterNestsReusedAreThoseEncodingGives() {
        let type = type()
        for round in 0..<(3 * ParentEncoding.TypeEncoding.encodedParamsLimit) {
            let list: [(name: String, value: ParamValue)] = [("size", .int(UInt64(round))), ("mode", .string(round % 2 == 0 ? "shared" : "dedicated"))]
            XCTAssertEqual(type.encoded(params: list), fresh(list, type: type), "round \(round)")
        }
    }

    func testAListSeenBeforeGetsTheBytesStoredForIt() {
        let type = type()
        let list: [(name: String, value: ParamValue)] = [("size", .int(8))]
        let first = type.encoded(params: list), second = type.encoded(params: list)
        XCTAssertEqual(first, fresh(list, type: type))
        XCTAssertEqual(first.withUnsafeBufferPointer { $0.baseAddress }, second.withUnsafeBufferPointer { $0.baseAddress },
                       "one stored copy, not encoded again")
        XCTAssertEqual(type.encoded(params: []), [], "no parameters, no nests")
    }

    func testTheTypesOwnAttributesAreEncodedOnce() {
        let migrating = ParentEncoding.TypeEncoding(name: "vgpu-2", registration: 1, kinds: [], migrationCompat: "v1")
        var expected = AttributeEncoder()
        expected.put(SubdevDevAttr.type, "vgpu-2")
        XCTAssertEqual(migrating.encodedName, expected.bytes)
        XCTAssertEqual(try AttributeDecoder(migrating.encodedCompat).string(SubdevDevAttr.migrationCompat), "v1")
        XCTAssertEqual(type().encodedCompat, [], "a type that does not migrate carries no migration-compat")
    }

    /// Parents whose types are alike share their type encodings, and with
    /// them the cache of encoded parameter lists, whatever else differs;
    /// each keeps its own names.
    func testParentsOfAlikeTypesShareTheirTypeEncodings() throws {
        let plugin = MttyPlugin()
        func parent(_ name: String, ports: String, onlyFirstType: Bool = false) throws -> Parent {
            let hardware = HardwareConfig(.map([.init(key: "ports", value: HardwareConfig(.scalar(ports), path: "ports"))]), path: "")
            var spec = try plugin.describe(hardware)
            if onlyFirstType { spec.types.removeLast(spec.types.count - 1) }
            return Parent(bus: "virtual", name: name, iommuGroup: 7, plugin: plugin, hardware: hardware, spec: spec)
        }
        let encodings = ParentEncodings(root: ModelRoot(path: "/run/subdev-test"))
        let a = encodings.add(try parent("a", ports: "4"), group: nil)
        let b = encodings.add(try parent("b", ports: "2"), group: nil)
        let c = encodings.add(try parent("c", ports: "4", onlyFirstType: true), group: nil)
        let typeOfA = try XCTUnwrap(a.type("mtty-1"))
        XCTAssertTrue(typeOfA === b.type("mtty-1"), "a and b differ in ports, not in types")
        XCTAssertFalse(typeOfA === c.type("mtty-1"), "c offers one type of the two, so its encodings are its own")
        XCTAssertNil(c.type("mtty-2"))
        XCTAssertEqual(c.type("mtty-1")?.encodedName, typeOfA.encodedName)
        XCTAssertNotEqual(Array(a.encodedNames), Array(b.encodedNames))
        XCTAssertEqual([a.handle, b.handle], ["virtual/a", "virtual/b"])
    }
}
