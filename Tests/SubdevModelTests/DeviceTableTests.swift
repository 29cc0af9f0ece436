import XCTest
import Netlink
import SubdevPlugin
import SubdevPlugins
import SubdevUAPI
@testable import SubdevModel

/// The structures that keep every request's cost flat with a million
/// subdevices: lowest-free numbering, the device table, running totals.
final class DeviceTableTests: XCTestCase {
    func testLowestFreeHandsOutTheLowestNumberNotInUse() {
        var numbers = LowestFree()
        XCTAssertEqual((0..<5).map { _ in numbers.take() }, [0, 1, 2, 3, 4])
        numbers.give(3)
        numbers.give(1)
        XCTAssertEqual(numbers.lowest, 1)
        XCTAssertEqual(numbers.take(), 1)
        XCTAssertEqual(numbers.take(), 3)
        XCTAssertEqual(numbers.take(), 5, "nothing below 5 is free")
    }

    func testLowestFreeAgreesWithAScanOverRandomTakesAndGives() {
        var numbers = LowestFree()
        var used = Set<UInt32>()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            if !used.isEmpty, Bool.random(using: &generator), let victim = used.randomElement(using: &generator) {
                numbers.give(victim)
                used.remove(victim)
            } else {
                let expected = (0...UInt32(used.count)).first { !used.contains($0) }
                let taken = numbers.take()
                XCTAssertEqual(taken, expected)
                used.insert(taken)
            }
        }
    }

    /// A machine of two mtty cards.
    func machine(ports: Int = 8) throws -> Machine {
        let plugin = MttyPlugin()
        let parents = try ["a", "b"].map { name -> Parent in
            let hardware = HardwareConfig(.map([.init(key: "ports", value: HardwareConfig(.scalar("\(ports)"), path: "ports"))]), path: "")
            return Parent(bus: "virtual", name: name, iommuGroup: 0, plugin: plugin, hardware: hardware, spec: try plugin.describe(hardware))
        }
        return Machine(parents: parents)
    }

    @discardableResult
    func create(_ machine: inout Machine, on parent: Int, name: String? = nil, type: String = "mtty-1") throws -> Subdevice {
        try machine.create(parent: parent, type: type, name: name, adminState: .up, params: [], typeOffset: nil, nameOffset: nil)
    }

    func testLookupsOrderAndTotalsFollowCreatesAndDeletes() throws {
        var machine = try machine()
        let first = try create(&machine, on: 1, name: "first")
        try create(&machine, on: 0)
        try create(&machine, on: 1, type: "mtty-2")
        XCTAssertEqual([first.index, first.vfioIndex], [0, 0])
        XCTAssertEqual(machine.devices.count, 3)
        XCTAssertEqual(machine.devices.inOrder(of: machine.parents.map(\.handle)).map(\.handle),
                       ["virtual/a/0", "virtual/b/0", "virtual/b/1"], "parent order, then index order")
        XCTAssertEqual(machine.counters(of: machine.parents[1]).first?.reserved, 3, "mtty-1 and mtty-2 hold 3 ports")
        XCTAssertEqual(machine.deviceIndex(named: "first"), 0)
        XCTAssertEqual(machine.deviceIndex(parent: "virtual/b", index: 1), 2)

        _ = machine.delete(device: try XCTUnwrap(machine.deviceIndex(named: "first")))
        XCTAssertNil(machine.deviceIndex(named: "first"))
        XCTAssertEqual(machine.counters(of: machine.parents[1]).first?.reserved, 2)
        let again = try create(&machine, on: 1)
        XCTAssertEqual([again.index, again.vfioIndex], [0, 0], "the freed index and vfio number are reused first")
        XCTAssertEqual(machine.devices.devices(of: "virtual/b").map(\.index), [0, 1])
    }

    /// Subdevices are kept by parent and found by `vfioN`: after each of
    /// many random creates, deletes and changes over three parents, every
    /// lookup, each parent's list and a dump's order agree with a plain
    /// record of what was made, and a dump begun earlier still lists the
    /// table as it was then.
    func testLookupsAgreeWithARecordOverRandomCreatesAndDeletes() throws {
        let plugin = MttyPlugin()
        let parents = try ["a", "b", "c"].map { name -> Parent in
            let hardware = HardwareConfig(.map([.init(key: "ports", value: HardwareConfig(.scalar("64"), path: "ports"))]), path: "")
            return Parent(bus: "virtual", name: name, iommuGroup: 0, plugin: plugin, hardware: hardware, spec: try plugin.describe(hardware))
        }
        var machine = Machine(parents: parents)
        let handles = parents.map(\.handle)
        // vfioN: parent, index, name, oper state
        var record: [UInt32: (parent: String, index: UInt32, name: String?, up: Bool)] = [:]
        var generator = SystemRandomNumberGenerator()
        var earlier: (dump: DeviceTable.OrderedDevices, handles: [String])?
        for step in 0..<3_000 {
            let roll = Int.random(in: 0..<10, using: &generator)
            if roll < 5 || record.isEmpty {
                let parent = Int.random(in: 0..<3, using: &generator)
                let name: String? = Bool.random(using: &generator) ? "step\(step)" : nil
                guard let made = try? create(&machine, on: parent, name: name) else { continue }
                XCTAssertNil(record[made.vfioIndex], "vfio\(made.vfioIndex) given twice")
                record[made.vfioIndex] = (handles[parent], made.index, name, true)
            } else if roll < 9, let vfio = record.keys.randomElement(using: &generator) {
                let position = try XCTUnwrap(machine.deviceIndex(vfio: vfio))
                XCTAssertEqual(machine.delete(device: position).vfioIndex, vfio)
                record[vfio] = nil
            } else if let vfio = record.keys.randomElement(using: &generator), let entry = record[vfio] {
                machine.setOperState(device: Int(vfio), entry.up ? .down : .up)
                record[vfio]?.up.toggle()
            }
            if step % 500 == 0 {
                earlier = (machine.devices.inOrder(of: handles), machine.devices.inOrder(of: handles).map(\.handle))
            }
            guard step % 50 == 0 || step == 2_999 else { continue }
            for (vfio, entry) in record {
                let found = try XCTUnwrap(machine.devices.device(vfio: vfio), "vfio\(vfio) at step \(step)")
                XCTAssertEqual([found.parentHandle, "\(found.index)", found.name ?? "-", "\(found.operState == .up)"],
                               [entry.parent, "\(entry.index)", entry.name ?? "-", "\(entry.up)"], "vfio\(vfio) at step \(step)")
                XCTAssertEqual(machine.deviceIndex(parent: entry.parent, index: entry.index), Int(vfio))
                if let name = entry.name { XCTAssertEqual(machine.deviceIndex(named: name), Int(vfio)) }
            }
            let expected = record.values.sorted { ($0.parent, $0.index) < ($1.parent, $1.index) }.map { "\($0.parent)/\($0.index)" }
            XCTAssertEqual(machine.devices.inOrder(of: handles).map(\.handle), expected, "dump order at step \(step)")
            for handle in handles {
                XCTAssertEqual(machine.devices.devices(of: handle).map(\.index),
                               record.values.filter { $0.parent == handle }.map(\.index).sorted(), "\(handle) at step \(step)")
            }
            XCTAssertEqual(machine.devices.count, record.count)
            let made = Set(record.values.map { "\($0.parent)/\($0.index)" })
            for handle in handles {
                for index in UInt32(0)..<64 where !made.contains("\(handle)/\(index)") {
                    XCTAssertNil(machine.deviceIndex(parent: handle, index: index), "\(handle)/\(index), gone, at step \(step)")
                }
            }
            for vfio in UInt32(0)...(record.keys.max() ?? 0) + 1 where record[vfio] == nil {
                XCTAssertNil(machine.devices.device(vfio: vfio), "vfio\(vfio), gone, at step \(step)")
            }
            if let (dump, handles) = earlier { XCTAssertEqual(dump.map(\.handle), handles, "a dump begun earlier, at step \(step)") }
        }
    }

    func testThePluginSeesTheSameTotalsAsARecountAndCapacityHolds() throws {
        var machine = try machine(ports: 4)
        for _ in 0..<4 { try create(&machine, on: 0) }
        XCTAssertThrowsError(try create(&machine, on: 0)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENOSPC)
        }
        _ = machine.delete(device: try XCTUnwrap(machine.deviceIndex(parent: "virtual/a", index: 2)))
        let state = machine.state(of: machine.parents[0])
        let recount = ParentState(hardware: state.hardware, spec: state.spec, instances: state.instances)
        XCTAssertEqual(state.free("ports"), recount.free("ports"))
        XCTAssertEqual(state.free("ports"), 1)
        XCTAssertEqual(Set(state.instances.map(\.index)), [0, 1, 3])
        XCTAssertEqual(machine.available(try XCTUnwrap(machine.parents[0].type("mtty-1")), on: machine.parents[0]), 1)
    }

    func testAFailedFirstCreateOnAParentLeavesItAsItWas() throws {
        var machine = try machine(ports: 1)
        XCTAssertThrowsError(try create(&machine, on: 0, type: "mtty-2")) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENOSPC)
        }
        XCTAssertEqual(machine.devices.count(of: "virtual/a"), 0)
        XCTAssertTrue(machine.devices.devices(of: "virtual/a").isEmpty)
        XCTAssertNil(machine.devices.state(of: "virtual/a"), "no plugin view before the first subdevice")
        XCTAssertEqual(machine.counters(of: machine.parents[0]).first?.reserved, 0)
        let made = try create(&machine, on: 0)
        XCTAssertEqual([made.index, made.vfioIndex], [0, 0])
        XCTAssertEqual(machine.state(of: machine.parents[0]).instances.map(\.index), [0])
        _ = machine.delete(device: try XCTUnwrap(machine.deviceIndex(parent: "virtual/a", index: 0)))
        XCTAssertNil(machine.devices.state(of: "virtual/a"), "emptied again")
        XCTAssertEqual(machine.counters(of: machine.parents[0]).first?.reserved, 0)
        let again = try create(&machine, on: 0, name: "again")
        XCTAssertEqual([again.index, again.vfioIndex], [0, 0], "an emptied parent starts at index 0 again")
        XCTAssertEqual(machine.devices.devices(of: "virtual/a").map(\.name), ["again"])
    }

    /// An emptied group keeps its view of the parent (and, while small,
    /// its arrays' room) for the next subdevice: what the plugin sees
    /// then is what it sees on a parent that never had one.
    func testAParentEmptiedAgainAndAgainLooksAsIfItNeverHadASubdevice() throws {
        var machine = try machine(ports: 8)
        var fresh = try self.machine(ports: 8)
        for round in 0..<3 {
            // More than an emptied group keeps room for, in the last round.
            let count = round == 2 ? 6 : 1
            for _ in 0..<count { try create(&machine, on: 0, type: round == 1 ? "mtty-2" : "mtty-1") }
            for index in (0..<count).reversed() {
                _ = machine.delete(device: try XCTUnwrap(machine.deviceIndex(parent: "virtual/a", index: UInt32(index))))
            }
            XCTAssertNil(machine.devices.state(of: "virtual/a"), "round \(round): emptied")
            XCTAssertEqual(machine.counters(of: machine.parents[0]).first?.reserved, 0, "round \(round)")
        }
        let again = try create(&machine, on: 0, type: "mtty-2")
        let first = try create(&fresh, on: 0, type: "mtty-2")
        XCTAssertEqual([again.index, again.vfioIndex], [first.index, first.vfioIndex])
        XCTAssertEqual(machine.state(of: machine.parents[0]), fresh.state(of: fresh.parents[0]))
        XCTAssertEqual(machine.counters(of: machine.parents[0]).map(\.reserved), fresh.counters(of: fresh.parents[0]).map(\.reserved))
    }

    /// Requests name a parent by the bytes of bus and name, which are
    /// looked up without making strings.
    func testParentsAreFoundByTheBytesOfTheirNames() throws {
        var machine = try machine()
        func find(_ bus: String, _ name: String) -> Int? {
            Array(bus.utf8).withUnsafeBytes { bus in Array(name.utf8).withUnsafeBytes { name in machine.parentIndex(bus: bus, name: name) } }
        }
        XCTAssertEqual(find("virtual", "a"), 0)
        XCTAssertEqual(find("virtual", "b"), 1)
        for (bus, name) in [("virtual", "c"), ("virtual", "ab"), ("virtual", ""), ("virtua", "la"), ("", "virtual/a"), ("pci", "a")] {
            XCTAssertNil(find(bus, name), "\(bus) \(name)")
        }
        _ = machine.removeParent(0)
        XCTAssertNil(find("virtual", "a"), "unplugged")
        XCTAssertEqual(find("virtual", "b"), 0, "positions follow the parents")
        _ = machine.addParent(slot: 0)
        XCTAssertEqual(find("virtual", "a"), 1)
    }

    /// Two parents whose names hash alike make the machine find parents
    /// by strings instead, and that finds the same ones.
    func testParentsAreFoundByStringsWhenTheirHashesCollide() throws {
        var machine = try machine()
        XCTAssertEqual(Machine.keys(of: machine.parents)?.count, 2, "FNV-1a tells a and b apart")
        XCTAssertNil(Machine.keys(of: machine.parents, hash: { _, _ in 42 }), "a collision gives up the keys")
        machine.forgetParentKeys()
        func find(_ bus: String, _ name: String) -> Int? {
            Array(bus.utf8).withUnsafeBytes { bus in Array(name.utf8).withUnsafeBytes { name in machine.parentIndex(bus: bus, name: name) } }
        }
        XCTAssertEqual(find("virtual", "a"), 0)
        XCTAssertEqual(find("virtual", "b"), 1)
        for (bus, name) in [("virtual", "c"), ("virtual", "ab"), ("virtua", "la"), ("", "virtual/a")] {
            XCTAssertNil(find(bus, name), "\(bus) \(name)")
        }
        let made = try create(&machine, on: 1)
        XCTAssertEqual(machine.deviceIndex(parentPosition: 1, index: made.index), Int(made.vfioIndex))
    }

    /// A subdevice's parent, and a parent's subdevice by index, are found
    /// by group without the parent's handle; when hotplug moves parents,
    /// both ways follow them, and agree with the lookups by handle.
    func testSubdevicesAndParentsFindEachOtherAcrossHotplug() throws {
        var machine = try machine()
        func check(_ label: String) {
            for position in machine.parents.indices {
                let handle = machine.parents[position].handle
                for index in UInt32(0)..<3 {
                    let byGroup = machine.deviceIndex(parentPosition: position, index: index)
                    XCTAssertEqual(byGroup, machine.deviceIndex(parent: handle, index: index), "\(label): \(handle)/\(index)")
                    if let byGroup {
                        XCTAssertEqual(machine.parentPosition(ofDevice: byGroup), position, "\(label): parent of \(handle)/\(index)")
                        XCTAssertEqual(machine.devices[byGroup].parentHandle, handle)
                    }
                }
            }
        }
        try create(&machine, on: 1)
        try create(&machine, on: 1)
        check("b only")
        try create(&machine, on: 0)
        check("both")
        _ = machine.delete(device: try XCTUnwrap(machine.deviceIndex(parentPosition: 0, index: 0)))
        _ = machine.removeParent(0)
        XCTAssertEqual(machine.parents.map(\.handle), ["virtual/b"])
        check("a unplugged, b moved to 0")
        XCTAssertEqual(machine.deviceIndex(parentPosition: 0, index: 1), machine.deviceIndex(parent: "virtual/b", index: 1))
        _ = machine.addParent(slot: 0)
        XCTAssertEqual(machine.parents.map(\.handle), ["virtual/b", "virtual/a"])
        XCTAssertNil(machine.deviceIndex(parentPosition: 1, index: 0), "a came back empty")
        let made = try create(&machine, on: 1)
        XCTAssertEqual(made.parentHandle, "virtual/a")
        check("a back, after b")
        XCTAssertEqual(machine.parentPosition(ofDevice: Int(made.vfioIndex)), 1)
    }

    func testIdenticalSubdevicesShareTheirParamsAndPlan() throws {
        var machine = try machine()
        let one = try create(&machine, on: 0), two = try create(&machine, on: 0)
        let stored = [one, two].compactMap { machine.devices.device(vfio: $0.vfioIndex) }
        XCTAssertEqual(stored.count, 2)
        XCTAssertEqual(storageAddress(stored[0].allocation.counters), storageAddress(stored[1].allocation.counters),
                       "one stored copy of a plan made twice")
        XCTAssertNotEqual(storageAddress(one.allocation.counters), storageAddress(two.allocation.counters),
                          "the plugin made two copies; the table kept one")
    }

    func testPackedDatagramsKeepMessagesWholeWithinTheBudget() {
        let messages: [[UInt8]] = [Array(repeating: 1, count: 30), Array(repeating: 2, count: 30), Array(repeating: 3, count: 80)]
        var remaining = messages.makeIterator()
        let datagrams = Array(PackedDatagrams(budget: 64) { buffer in
            guard let message = remaining.next() else { return false }
            buffer.append(message)
            return true
        })
        XCTAssertEqual(datagrams.map(\.count), [60, 80], "two fit in 64 bytes; the large one travels alone")
        XCTAssertEqual(datagrams.flatMap { $0 }, messages.flatMap { $0 })
    }
}

/// The address of a value's storage object, for `CounterAmounts`, which
/// is one reference to its array's storage: two that share storage have
/// the same address.
private func storageAddress<Value>(_ value: Value) -> UInt {
    precondition(MemoryLayout<Value>.size == MemoryLayout<UInt>.size, "one reference")
    return withUnsafeBytes(of: value) { $0.load(as: UInt.self) }
}
