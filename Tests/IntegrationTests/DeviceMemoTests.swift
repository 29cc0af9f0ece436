import XCTest
@testable import Subdev
import Netlink
import SubdevUAPI

/// What a dump remembers from one subdevice to the next, by bytes.
final class DeviceMemoTests: XCTestCase {
    /// Runs each element's bytes through `run`, decoding an element as its
    /// first byte, and returns the run and how many were decoded.
    private func read(_ elements: [[UInt8]], into run: inout RememberedRun<UInt8>) -> (values: [UInt8], decoded: Int) {
        var reading = RememberedRun<UInt8>.Reading()
        var decoded = 0
        for bytes in elements {
            bytes.withUnsafeBytes { raw in
                run.next(&reading, raw: raw) {
                    decoded += 1
                    return bytes.first ?? 0
                }
            }
        }
        _ = run.finish(reading)
        return (run.last, decoded)
    }

    func testARunComesOutAsItsElementsWhateverCameBefore() {
        var run = RememberedRun<UInt8>()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2_000 {
            // Short runs over a small alphabet, so that most repeat in part.
            let elements = (0..<Int.random(in: 0...4, using: &generator)).map { _ in [UInt8.random(in: 1...3, using: &generator), 0, 7] }
            XCTAssertEqual(read(elements, into: &run).values, elements.map { $0[0] }, "round \(round): \(elements)")
        }
    }

    func testARepeatedRunIsNotDecodedAgainAndSharesItsArray() {
        var run = RememberedRun<UInt8>()
        let elements: [[UInt8]] = [[1, 0], [2, 0], [3, 0]]
        let first = read(elements, into: &run), second = read(elements, into: &run)
        XCTAssertEqual(first.decoded, 3)
        XCTAssertEqual(second.decoded, 0)
        XCTAssertEqual(first.values.withUnsafeBufferPointer { $0.baseAddress }, second.values.withUnsafeBufferPointer { $0.baseAddress },
                       "one array for both")
        XCTAssertEqual(read([[1, 0], [2, 0]], into: &run).values, [1, 2], "a shorter run")
        let changed = read([[1, 0], [9, 0], [3, 0]], into: &run)
        XCTAssertEqual(changed.values, [1, 9, 3])
        XCTAssertEqual(changed.decoded, 1, "only the one that differs is decoded")
        XCTAssertEqual(read([[1, 1], [9, 0], [3, 0]], into: &run).decoded, 1, "bytes past what is decoded count too")
        XCTAssertEqual(read([], into: &run).values, [])
    }

    func testAValueIsRememberedByItsBytes() {
        var slot = Remembered<String>()
        func value(_ bytes: [UInt8]) -> (String, Bool) {
            bytes.withUnsafeBytes { raw in
                let hit = slot.update(raw) { String(decoding: bytes, as: UTF8.self) }
                return (slot.current ?? "none", hit)
            }
        }
        XCTAssertEqual(value(Array("pci".utf8)).1, false)
        XCTAssertEqual(value(Array("pci".utf8)).1, true)
        XCTAssertEqual(value(Array("pcx".utf8)).0, "pcx", "same length, other bytes")
        XCTAssertEqual(value([]).0, "")
        XCTAssertEqual(value([]).1, true, "empty bytes remembered too")
        // A miss keeps its bytes in the room of the last: shorter, then longer again.
        XCTAssertEqual(value(Array("virtual".utf8)).0, "virtual")
        XCTAssertEqual(value(Array("pci".utf8)).0, "pci")
        XCTAssertEqual(value(Array("pci".utf8)).1, true, "a shorter value after a longer one")
        XCTAssertEqual(value(Array("pc".utf8)).1, false, "a prefix of the last is another value")
        XCTAssertEqual(value(Array("virtual".utf8)).1, false)
        XCTAssertEqual(value(Array("virtual".utf8)).1, true)
    }

    /// The attributes of a subdevice of `mtty` as the model sends them.
    private func encoded(index: UInt32, parent: String = "mtty", holders: [UInt32] = [], aer: UInt64 = 0,
                         compat: String? = "mtty;ports=1", ports: UInt64 = 1, ranges: Int = 1) -> [UInt8] {
        var out = AttributeEncoder()
        out.put(SubdevDevAttr.busName, "virtual")
        out.put(SubdevDevAttr.devName, parent)
        out.put(SubdevDevAttr.index, index)
        out.put(SubdevDevAttr.type, "mtty-1")
        out.nest(SubdevDevAttr.param) { nest in
            nest.put(SubdevParamAttr.name, "ports")
            nest.put(SubdevParamAttr.valueInt, ports)
        }
        out.nest(SubdevDevAttr.vfio) { nest in
            nest.put(SubdevVfioAttr.index, index + 10)
            nest.put(SubdevVfioAttr.devNode, "/dev/vfio/devices/vfio\(index + 10)")
            nest.put(SubdevVfioAttr.sysfsPath, "/sys/devices/virtual/mtty/\(parent)/subdev.\(index)")
            nest.put(SubdevVfioAttr.iommuGroup, UInt32(5))
            for range in 0..<ranges {
                nest.nest(SubdevVfioAttr.reservedIova) { iova in
                    iova.put(SubdevIovaRangeAttr.start, UInt64(range) << 20)
                    iova.put(SubdevIovaRangeAttr.end, UInt64(range) << 20 | 0xFFFF)
                }
            }
        }
        out.put(SubdevDevAttr.nodeUid, UInt32(0))
        out.put(SubdevDevAttr.nodeGid, UInt32(0))
        out.put(SubdevDevAttr.nodeMode, UInt16(0o600))
        for pid in holders {
            out.nest(SubdevDevAttr.holder) { nest in nest.put(SubdevHolderAttr.pid, pid) }
        }
        out.nest(SubdevDevAttr.aerStats) { nest in nest.put(SubdevAerStatsAttr.correctable, aer) }
        if let compat { out.put(SubdevDevAttr.migrationCompat, compat) }
        return out.bytes
    }

    private func decode(_ bytes: [UInt8], _ memo: inout DeviceMemo) throws -> DeviceInfo {
        try ObjectDecoding.device(try AttributeDecoder(bytes), memo: &memo)
    }

    func testAlikeSubdevicesShareOneObjectOfTheirCommonFields() throws {
        var memo = DeviceMemo(remembering: true)
        let first = try decode(encoded(index: 0), &memo), second = try decode(encoded(index: 1), &memo)
        XCTAssertTrue(first.alike === second.alike, "the second subdevice takes the first's object")
        XCTAssertEqual(second.index, 1)
        XCTAssertEqual(second.vfio?.index, 11)
        XCTAssertEqual(second.vfio?.devNode, "/dev/vfio/devices/vfio11")
        XCTAssertEqual(second.vfio?.sysfsPath, "/sys/devices/virtual/mtty/mtty/subdev.1")
        XCTAssertEqual(first.vfio?.sysfsPath, "/sys/devices/virtual/mtty/mtty/subdev.0")
        let held = try decode(encoded(index: 2, holders: [7]), &memo)
        XCTAssertFalse(held.alike === second.alike, "a holder makes it differ")
        XCTAssertEqual(held.holders.map(\.pid), [7])
        var last = held
        // Each shared attribute that differs, and the next alike with it again.
        for (what, bytes) in [("aer counts", encoded(index: 3, aer: 1)), ("no migration data", encoded(index: 3, compat: nil)),
                              ("the parent", encoded(index: 3, parent: "mtty2")), ("a parameter", encoded(index: 3, ports: 2)),
                              ("two ranges", encoded(index: 3, ranges: 2)), ("no ranges", encoded(index: 3, ranges: 0)),
                              ("back to the first's", encoded(index: 3))] {
            let differing = try decode(bytes, &memo)
            XCTAssertFalse(differing.alike === last.alike, what)
            let alike = try decode(bytes, &memo)
            XCTAssertTrue(alike.alike === differing.alike, "\(what), twice")
            XCTAssertEqual(alike, differing, what)
            last = alike
        }
        XCTAssertEqual(last.alike.fields, first.alike.fields, "the values, not the object, of the first")
        XCTAssertNil(try decode(encoded(index: 3, compat: nil), &memo).migrationCompat)
        XCTAssertEqual(try decode(encoded(index: 3, parent: "mtty2"), &memo).parent.name, "mtty2")
        XCTAssertEqual(try decode(encoded(index: 3, ports: 2), &memo).params.first?.value, .int(2))
        XCTAssertEqual(try decode(encoded(index: 3, ranges: 2), &memo).vfio?.reservedIOVA.count, 2)
        XCTAssertEqual(try decode(encoded(index: 3, ranges: 0), &memo).vfio?.reservedIOVA.count, 0)
        var single = DeviceMemo(remembering: false)
        XCTAssertFalse(try decode(encoded(index: 0), &single).alike === decode(encoded(index: 0), &single).alike,
                       "a single read remembers nothing")
        XCTAssertEqual(try decode(encoded(index: 0), &single), first)
    }

    func testALackingRequiredAttributeIsNamedWhateverCameBefore() throws {
        var memo = DeviceMemo(remembering: true)
        _ = try decode(encoded(index: 0), &memo)
        var lacking = AttributeEncoder()
        lacking.put(SubdevDevAttr.busName, "virtual")
        lacking.put(SubdevDevAttr.index, UInt32(1))
        lacking.put(SubdevDevAttr.type, "mtty-1")
        XCTAssertThrowsError(try decode(lacking.bytes, &memo)) { error in
            XCTAssertEqual((error as? ProtocolError)?.description.contains("dev-name"), true, "\(error)")
        }
    }

    func testSharedFieldsChangeInOneCopyOnly() throws {
        var memo = DeviceMemo(remembering: true)
        let one = try decode(encoded(index: 0), &memo)
        var two = try decode(encoded(index: 0), &memo)
        XCTAssertEqual(one, two)
        two.reason = "aer"
        two.holders.append(HolderInfo(pid: 9, uid: 0, gid: 0))
        two.parent.name = "other"
        two.vfio?.devNode = "/dev/vfio/devices/vfio99"
        two.vfio?.reservedIOVA = []
        XCTAssertNil(one.reason, "the other subdevice's object is left as it was")
        XCTAssertEqual(one.holders, [])
        XCTAssertEqual(one.parent.name, "mtty")
        XCTAssertEqual(one.vfio?.devNode, "/dev/vfio/devices/vfio10")
        XCTAssertEqual(one.vfio?.reservedIOVA.count, 1)
        XCTAssertEqual(two.reason, "aer")
        XCTAssertEqual(two.holders.map(\.pid), [9])
        XCTAssertEqual(two.vfio?.devNode, "/dev/vfio/devices/vfio99")
        XCTAssertNotEqual(one, two)
        two.reason = nil
        two.holders = []
        two.parent.name = "mtty"
        two.vfio = one.vfio
        XCTAssertEqual(one, two, "equal by the values, not by the object")
        XCTAssertEqual(Set([one, two]).count, 1)
        two.vfio = nil
        XCTAssertNil(two.vfio)
        XCTAssertNotNil(one.vfio)
    }
}
