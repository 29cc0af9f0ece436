import XCTest
@testable import Subdev
import Netlink
import SubdevUAPI

/// A parent is decoded in one pass over its attributes: what a search for
/// each attribute found, it must find.
final class ParentDecodingTests: XCTestCase {
    private func decode(_ build: (inout AttributeEncoder) -> Void) throws -> ParentInfo {
        var out = AttributeEncoder()
        build(&out)
        return try ObjectDecoding.parent(AttributeDecoder(out.bytes))
    }

    private func counter(_ out: inout AttributeEncoder, _ name: String, total: UInt64, reserved: UInt64) {
        out.nest(SubdevParentAttr.counter) { nest in
            nest.put(SubdevCounterAttr.name, name)
            nest.put(SubdevCounterAttr.total, total)
            nest.put(SubdevCounterAttr.reserved, reserved)
        }
    }

    func testEveryAttributeIsReadAndRepeatsKeepTheirOrder() throws {
        let parent = try decode { out in
            out.put(SubdevParentAttr.busName, "pci")
            out.put(SubdevParentAttr.devName, "0000:6a:01.0")
            out.put(SubdevParentAttr.vendor, "intel")
            out.put(SubdevParentAttr.driver, "idxd")
            out.put(SubdevParentAttr.typeName, "dwq")
            counter(&out, "wq", total: 8, reserved: 2)
            out.put(SubdevParentAttr.typeName, "swq-slice")
            counter(&out, "engines", total: 4, reserved: 0)
            out.put(SubdevParentAttr.devCount, UInt32(3))
            out.nest(SubdevParentAttr.aerStats) { nest in
                nest.put(SubdevAerStatsAttr.correctable, UInt64(5))
                nest.put(SubdevAerStatsAttr.fatal, UInt64(1))
            }
            out.put(SubdevParentAttr.hotplugStage, UInt8(SubdevHotplugStage.allCases[0].rawValue))
            out.put(SubdevParentAttr.generation, UInt64(42))
        }
        XCTAssertEqual(parent.handle, ParentHandle(bus: "pci", name: "0000:6a:01.0"))
        XCTAssertEqual(parent.vendor, "intel")
        XCTAssertEqual(parent.driver, "idxd")
        XCTAssertEqual(parent.typeNames, ["dwq", "swq-slice"], "in the order sent, with counters between them")
        XCTAssertEqual(parent.counters, [CounterInfo(name: "wq", total: 8, reserved: 2), CounterInfo(name: "engines", total: 4, reserved: 0)])
        XCTAssertEqual(parent.deviceCount, 3)
        XCTAssertEqual(parent.aerStats, AERStatsInfo(correctable: 5, nonFatal: 0, fatal: 1, resets: 0))
        XCTAssertEqual(parent.hotplugStage, SubdevHotplugStage.allCases[0])
        XCTAssertEqual(parent.generation, 42)
    }

    func testOptionalAttributesDefaultAndTheLastOfARepeatCounts() throws {
        let parent = try decode { out in
            out.put(SubdevParentAttr.busName, "virtual")
            out.put(SubdevParentAttr.devName, "old")
            out.put(99, UInt32(7))  // an attribute this client does not know
            out.put(SubdevParentAttr.devName, "mtty")
            out.put(SubdevParentAttr.hotplugStage, UInt8(200))  // a stage this client does not know
        }
        XCTAssertEqual(parent.handle, ParentHandle(bus: "virtual", name: "mtty"))
        XCTAssertEqual(parent.vendor, "")
        XCTAssertEqual(parent.driver, "")
        XCTAssertEqual(parent.typeNames, [])
        XCTAssertEqual(parent.counters, [])
        XCTAssertEqual(parent.deviceCount, 0)
        XCTAssertNil(parent.aerStats)
        XCTAssertNil(parent.hotplugStage)
        XCTAssertNil(parent.generation)
    }

    func testAParentWithoutItsNameIsAnErrorNamingIt() throws {
        XCTAssertThrowsError(try decode { $0.put(SubdevParentAttr.busName, "pci") }) { error in
            XCTAssertTrue("\(error)".contains("dev-name"), "\(error)")
        }
        XCTAssertThrowsError(try decode { $0.put(SubdevParentAttr.devName, "mtty") }) { error in
            XCTAssertTrue("\(error)".contains("bus-name"), "\(error)")
        }
        XCTAssertThrowsError(try decode { out in
            out.put(SubdevParentAttr.busName, "pci")
            out.put(SubdevParentAttr.devName, "0000:6a:01.0")
            out.put(SubdevParentAttr.devCount, UInt8(3))  // one byte where four are due
        }) { error in
            XCTAssertTrue("\(error)".contains("attribute \(SubdevParentAttr.devCount.rawValue): expected 4 bytes, got 1"), "\(error)")
        }
    }
}
