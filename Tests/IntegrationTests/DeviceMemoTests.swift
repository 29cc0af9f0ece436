import XCTest
@testable import Subdev

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
        return (run.finish(reading), decoded)
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
                let (value, hit) = slot.value(for: raw) { String(decoding: bytes, as: UTF8.self) }
                return (value, hit)
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

    private func alike(_ memo: inout DeviceMemo, holders: [HolderInfo] = [], aer: UInt64 = 0, compat: String? = "mtty;ports=1") -> DeviceInfo.Alike {
        memo.alike(DeviceInfo.AlikeFields(node: NodeAccessInfo(), ownerPID: nil, aerStats: AERStatsInfo(correctable: aer),
                                          migrationCompat: compat, reason: nil, details: [], holders: holders))
    }

    func testAlikeSubdevicesShareOneObjectOfTheirCommonFields() {
        var memo = DeviceMemo(remembering: true)
        let first = alike(&memo), second = alike(&memo)
        XCTAssertTrue(first === second, "the second subdevice takes the first's object")
        let held = alike(&memo, holders: [HolderInfo(pid: 7, uid: 0, gid: 0)])
        XCTAssertFalse(held === second, "a holder makes it differ")
        XCTAssertEqual(held.fields.holders.map(\.pid), [7])
        XCTAssertFalse(alike(&memo, aer: 1) === held)
        XCTAssertFalse(alike(&memo, compat: nil) === first, "no migration data differs from some")
        var single = DeviceMemo(remembering: false)
        XCTAssertFalse(alike(&single) === alike(&single), "a single read remembers nothing")
    }

    private func device(_ alike: DeviceInfo.Alike, index: UInt32) -> DeviceInfo {
        DeviceInfo(parent: ParentHandle(bus: "virtual", name: "mtty"), index: index, name: nil, type: "mtty-1",
                   adminState: nil, operState: nil, params: [], vfio: nil, alike: alike)
    }

    func testSharedFieldsChangeInOneCopyOnly() {
        var memo = DeviceMemo(remembering: true)
        let one = device(alike(&memo), index: 0)
        var two = device(alike(&memo), index: 0)
        XCTAssertEqual(one, two)
        two.reason = "aer"
        two.holders.append(HolderInfo(pid: 9, uid: 0, gid: 0))
        XCTAssertNil(one.reason, "the other subdevice's object is left as it was")
        XCTAssertEqual(one.holders, [])
        XCTAssertEqual(two.reason, "aer")
        XCTAssertEqual(two.holders.map(\.pid), [9])
        XCTAssertNotEqual(one, two)
        two.reason = nil
        two.holders = []
        XCTAssertEqual(one, two, "equal by the values, not by the object")
        XCTAssertEqual(Set([one, two]).count, 1)
        XCTAssertEqual(device(alike(&memo, aer: 3), index: 0).aerStats?.correctable, 3)
    }
}
