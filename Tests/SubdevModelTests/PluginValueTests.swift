import XCTest
import Foundation
import SubdevPlugin

/// `TypeSpec` and `ParentState` keep their fields in one shared object;
/// they must still behave as values: a changed copy leaves the original
/// as it was, and equal contents compare and hash equal.
final class PluginValueTests: XCTestCase {
    private let type = TypeSpec(name: "slot", typeClass: .other, description: "d",
                                params: [ParamSchema(name: "luts", kind: .u32, min: 1, max: 9, defaultValue: .int(3), doc: "x")],
                                capabilities: [.string("k", "v")])

    func testChangingATypeSpecCopyLeavesTheOriginal() {
        var copy = type
        copy.name = "other"
        copy.params = []
        copy.registration = .iommuGroup
        XCTAssertEqual(type.name, "slot")
        XCTAssertEqual(type.params.map(\.name), ["luts"])
        XCTAssertEqual(type.registration, .emulatedIOMMU)
        XCTAssertEqual(copy.name, "other")
        XCTAssertEqual(copy.registration, .iommuGroup)
        XCTAssertNotEqual(copy, type)
    }

    func testTypeSpecsAlikeAreEqualAndHashAlike() {
        let twin = TypeSpec(name: "slot", typeClass: .other, description: "d",
                            params: [ParamSchema(name: "luts", kind: .u32, min: 1, max: 9, defaultValue: .int(3), doc: "x")],
                            capabilities: [.string("k", "v")])
        XCTAssertEqual(twin, type)
        XCTAssertEqual(Set([twin, type]).count, 1)
        var changedBack = type
        changedBack.description = "e"
        changedBack.description = "d"
        XCTAssertEqual(changedBack, type)
    }

    func testTypeSpecJSONHasEveryField() throws {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(type)) as? [String: Any]
        XCTAssertEqual(object.map { Set($0.keys) },
                       ["name", "typeClass", "deviceAPI", "description", "params", "display", "migration", "capabilities", "registration"])
    }

    private func state(_ instances: [InstanceState] = []) -> ParentState {
        ParentState(hardware: HardwareConfig(.map([]), path: ""),
                    spec: ParentSpec(vendor: "v", types: [type], counters: [CounterSpec(name: "luts", total: 10)]),
                    instances: instances)
    }

    private func instance(_ index: UInt32, luts: UInt64, placement: UInt64? = nil) -> InstanceState {
        InstanceState(index: index, type: "slot", params: [:], allocation: Allocation(counters: ["luts": luts], placement: placement))
    }

    func testChangingAParentStateCopyLeavesTheOriginal() {
        var original = state()
        original.append(instance(0, luts: 3, placement: 7))
        var copy = original
        copy.append(instance(1, luts: 4, placement: 8))
        XCTAssertEqual(original.instances.count, 1)
        XCTAssertEqual(original.free("luts"), 7)
        XCTAssertEqual(original.placements, [7])
        XCTAssertEqual(copy.instances.count, 2)
        XCTAssertEqual(copy.free("luts"), 3)
        XCTAssertEqual(copy.placements, [7, 8])

        var removed = original
        XCTAssertEqual(removed.remove(at: 0).index, 0)
        XCTAssertEqual(removed.free("luts"), 10)
        XCTAssertEqual(original.free("luts"), 7)
        XCTAssertNotEqual(removed, original)
    }

    func testSettingInstancesRecountsOnlyThatCopy() {
        let original = state([instance(0, luts: 2)])
        var copy = original
        copy.instances = [instance(0, luts: 5), instance(1, luts: 5, placement: 1)]
        XCTAssertEqual(copy.free("luts"), 0)
        XCTAssertEqual(copy.reserved("luts"), 10)
        XCTAssertEqual(copy.placements, [1])
        XCTAssertEqual(original.free("luts"), 8)
        XCTAssertEqual(original.placements, [])
        XCTAssertEqual(state([instance(0, luts: 2)]), original)
    }

    func testCountersTheSpecDoesNotDeclareAreStillSummed() {
        var parent = state()
        parent.append(InstanceState(index: 0, type: "slot", params: [:], allocation: Allocation(counters: ["luts": 2, "rogue": 5])))
        XCTAssertEqual(parent.reserved("rogue"), 5)
        XCTAssertEqual(parent.free("rogue"), 0, "a counter the spec lacks has nothing free")
        XCTAssertEqual(parent.free("luts"), 8)
        XCTAssertEqual(parent.remove(at: 0).index, 0)
        XCTAssertEqual(parent.reserved("rogue"), 0)
        XCTAssertEqual(parent.free("luts"), 10)
    }

    func testChangingTheSpecRecountsByItsCounters() {
        var parent = state([instance(0, luts: 4)])
        parent.spec = ParentSpec(vendor: "v", types: [type],
                                 counters: [CounterSpec(name: "gates", total: 3), CounterSpec(name: "luts", total: 6)])
        XCTAssertEqual(parent.free("luts"), 2)
        XCTAssertEqual(parent.free("gates"), 3)
        parent.append(InstanceState(index: 1, type: "slot", params: [:], allocation: Allocation(counters: ["gates": 1, "luts": 1])))
        XCTAssertEqual(parent.free("gates"), 2)
        XCTAssertEqual(parent.reserved("luts"), 5)
    }
}

/// A plan's counter amounts read and compare as a dictionary would, in any
/// order they are written, and cross the plugin ABI as a JSON object.
final class CounterAmountsTests: XCTestCase {
    func testOrderWrittenDoesNotMatter() {
        let one: CounterAmounts = ["wqs": 1, "wq-entries": 32, "pasids": 1]
        let other: CounterAmounts = ["pasids": 1, "wqs": 1, "wq-entries": 32]
        XCTAssertEqual(one, other)
        XCTAssertEqual(Set([one, other]).count, 1)
        XCTAssertEqual(one.map(\.key), ["pasids", "wq-entries", "wqs"], "kept in name order")
        XCTAssertNotEqual(one, ["wqs": 1, "wq-entries": 33, "pasids": 1])
        XCTAssertNotEqual(one, ["wqs": 1, "wq-entries": 32])
    }

    func testOneCounterIsTheLiteralOfOnePair() throws {
        let one = CounterAmounts("ports", 2)
        XCTAssertEqual(one, ["ports": 2])
        XCTAssertEqual(one.hashValue, (["ports": 2] as CounterAmounts).hashValue)
        XCTAssertEqual(one["ports"], 2)
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(one), as: UTF8.self), #"{"ports":2}"#)
    }

    func testARepeatedNameKeepsItsLastAmount() {
        let amounts: CounterAmounts = ["b": 1, "a": 2, "b": 3]
        XCTAssertEqual(amounts.map(\.key), ["a", "b"])
        XCTAssertEqual(amounts["b"], 3)
    }

    func testSubscriptsReadSetAndRemove() {
        var amounts: CounterAmounts = ["ports": 2]
        XCTAssertEqual(amounts["ports"], 2)
        XCTAssertNil(amounts["wqs"])
        amounts["pasids", default: 0] += 1
        amounts["pasids", default: 0] += 1
        amounts["aaa"] = 7
        XCTAssertEqual(amounts.map(\.key), ["aaa", "pasids", "ports"])
        XCTAssertEqual(amounts["pasids"], 2)
        amounts["aaa"] = nil
        amounts["absent"] = nil
        XCTAssertEqual(amounts, ["ports": 2, "pasids": 2])
        XCTAssertEqual(amounts.dictionary, ["ports": 2, "pasids": 2])
    }

    func testJSONIsTheObjectADictionaryMakes() throws {
        let amounts: CounterAmounts = ["wqs": 1, "wq-entries": 32]
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(amounts)) as? [String: UInt64]
        XCTAssertEqual(object, ["wqs": 1, "wq-entries": 32])
        let decoded = try JSONDecoder().decode(CounterAmounts.self, from: Data(#"{"z":4,"a":0,"m":9}"#.utf8))
        XCTAssertEqual(decoded, ["a": 0, "m": 9, "z": 4])
        XCTAssertThrowsError(try JSONDecoder().decode(CounterAmounts.self, from: Data(#"{"a":-1}"#.utf8)),
                             "an amount is unsigned")
    }
}
