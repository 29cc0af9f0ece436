import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// Many client processes at once (issue 7): `subdev-stress` workers
/// create, set, delete, hold, release and inject at random from fixed
/// seeds while the test watches the `config` group and samples the
/// counters. Afterwards: capacity was never exceeded and nothing leaked,
/// `vfioN` was never given to two live subdevices, every subdevice had
/// exactly one new and one del notification, and no holder is left.
final class ConcurrencyTests: XCTestCase {
    static let workers = 8
    static let operationsPerWorker = 400
    static let seed: UInt64 = 0xC0C0_0007
    /// The name of the subdevice whose del notification ends the watch.
    static let endOfRun = "end-of-run"

    func testManyClientProcessesKeepTheInvariants() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let baseline = try await client.parents()
        let costs = try await Self.instanceCosts(client)
        XCTAssertFalse(costs.values.allSatisfy(\.isEmpty), "no type reports what an instance costs: the capacity check would be empty")
        let directory = URL(fileURLWithPath: try temporaryDirectory(for: self))

        let notifications = try client.configNotifications(receiveBuffer: 8 << 20, bufferLimit: 1 << 20)
        let watcher = Task { () -> [ConfigNotification] in
            var seen: [ConfigNotification] = []
            for try await notification in notifications {
                seen.append(notification)
                if case .deleted(let device) = notification, device.name == ConcurrencyTests.endOfRun { break }
            }
            return seen
        }
        let sampling = SamplingFlag()
        let sampler = Task { () -> (samples: Int, overruns: [String]) in
            var samples = 0
            var overruns: [String] = []
            while sampling.isOn {
                for parent in try await client.parents() {
                    for counter in parent.counters where counter.reserved > counter.total {
                        overruns.append("\(parent.handle) \(counter.name) \(counter.reserved) > \(counter.total)")
                    }
                }
                samples += 1
            }
            return (samples, overruns)
        }

        let workers = try (0..<Self.workers).map {
            try StressWorker(number: $0, seed: Self.seed &+ UInt64($0), operations: Self.operationsPerWorker,
                             port: model.port, directory: directory)
        }
        let summaries = workers.map { $0.finish() }
        sampling.turnOff()
        let (samples, overruns) = try await sampler.value
        XCTAssertEqual(overruns, [], "a counter was over its total")

        // The workers are gone: their holds, and their owned subdevices, with them.
        let settled = try await until {
            try await client.devices().allSatisfy { $0.holders.isEmpty && $0.ownerPID == nil && $0.operState != .removing }
        }
        let left = try await client.devices()
        XCTAssertTrue(settled, "holders, owned subdevices or removals of exited workers left behind: \(left)")
        for result in try await client.deleteDevices(left.map(\.handle)) {
            if case .failure(let error) = result { XCTFail("cleanup: \(error)") }
        }
        let drained = try await until { try await client.parents().map(\.counters) == baseline.map(\.counters) }
        let counters = try await client.parents().map(\.counters)
        XCTAssertTrue(drained, "capacity leaked: \(counters) after all deleted, was \(baseline.map(\.counters))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(model.root)/dev/vfio/devices"), [],
                       "device nodes left after every subdevice went")

        // A last subdevice made and deleted: once its del notification is
        // read, every one before it is.
        let mtty = ParentHandle(bus: "virtual", name: "mtty")
        _ = try await client.createDevice(parent: mtty, type: "mtty-1", name: Self.endOfRun)
        try await client.deleteDevice(.name(Self.endOfRun))
        let seen = try await watcher.value
        notifications.cancel()
        let check = NotificationLedger(costs: costs, totals: Self.totals(baseline))
        for notification in seen { check.apply(notification) }
        XCTAssertEqual(check.problems, [], "invariants broken")
        XCTAssertEqual(check.live.keys.sorted(), [], "subdevices without a del notification")
        XCTAssertGreaterThan(check.created, 50, "too few creations to say anything")

        func total(_ key: String) -> Int { summaries.reduce(0) { $0 + (($1[key] as? Int) ?? 0) } }
        let refused = summaries.compactMap { $0["refused"] as? [String: Int] }.reduce(into: [String: Int]()) { all, one in
            for (errno, count) in one { all[errno, default: 0] += count }
        }
        print("concurrency, seed 0x\(String(Self.seed, radix: 16)): \(Self.workers) processes, \(total("operations")) operations "
              + "(created \(total("created")), deleted \(total("deleted")), set \(total("sets")), held \(total("holds")), "
              + "released \(total("releases")), injected \(total("injections")); refused \(refused.sorted { $0.key < $1.key }.map { "errno \($0.key) ×\($0.value)" }.joined(separator: ", "))); "
              + "\(seen.count) notifications, \(check.created) subdevices each with one new and one del; "
              + "\(samples) counter samples, none over; no holder, node or capacity left")
    }

    /// What one subdevice of each type, with default parameters, takes
    /// from each counter of its parent, measured on the empty machine.
    static func instanceCosts(_ client: SubdevClient) async throws -> [String: [String: UInt64]] {
        var costs: [String: [String: UInt64]] = [:]
        for type in try await client.types() {
            costs["\(type.parent)/\(type.name)"] = Dictionary(uniqueKeysWithValues: type.instanceCost.map { ($0.name, $0.reserved) })
        }
        return costs
    }

    static func totals(_ parents: [ParentInfo]) -> [String: [String: UInt64]] {
        Dictionary(uniqueKeysWithValues: parents.map { parent in
            ("\(parent.handle)", Dictionary(uniqueKeysWithValues: parent.counters.map { ($0.name, $0.total) }))
        })
    }
}

/// Replays the `config` notifications in order and checks, at every step:
/// one new and one del per subdevice, no vfioN given twice at once, and
/// the live subdevices' costs within each counter's total.
final class NotificationLedger {
    let costs: [String: [String: UInt64]]
    let totals: [String: [String: UInt64]]
    /// Live subdevices by name: their type key and vfio index.
    private(set) var live: [String: (type: String, vfio: UInt32?)] = [:]
    private var gone: Set<String> = []
    private var vfioInUse: [UInt32: String] = [:]
    private var reserved: [String: [String: UInt64]] = [:]
    private(set) var created = 0
    private(set) var problems: [String] = []

    init(costs: [String: [String: UInt64]], totals: [String: [String: UInt64]]) {
        self.costs = costs
        self.totals = totals
    }

    func apply(_ notification: ConfigNotification) {
        switch notification {
        case .created(let device):
            guard let name = device.name else { return problems.append("a subdevice without a name: \(device.handle)") }
            if live[name] != nil || gone.contains(name) { problems.append("a second new notification for \(name)") }
            let vfio = device.vfio?.index
            if let vfio, let holder = vfioInUse[vfio] { problems.append("vfio\(vfio) of \(name) is still \(holder)'s") }
            if let vfio { vfioInUse[vfio] = name }
            let type = "\(device.parent)/\(device.type)"
            live[name] = (type, vfio)
            created += 1
            for (counter, cost) in costs[type] ?? [:] {
                let now = reserved["\(device.parent)", default: [:]][counter, default: 0] + cost
                reserved["\(device.parent)", default: [:]][counter] = now
                if let total = totals["\(device.parent)"]?[counter], now > total {
                    problems.append("\(device.parent) \(counter): \(now) reserved of \(total) after \(name)")
                }
            }
        case .deleted(let device):
            guard let name = device.name, let entry = live.removeValue(forKey: name) else {
                return problems.append("a del notification for \(device.name ?? "\(device.handle)") with no new before it")
            }
            gone.insert(name)
            if let vfio = entry.vfio { vfioInUse[vfio] = nil }
            for (counter, cost) in costs[entry.type] ?? [:] {
                reserved["\(device.parent)", default: [:]][counter, default: 0] -= min(cost, reserved["\(device.parent)"]?[counter] ?? 0)
            }
        case .resynchronised:
            problems.append("notifications were lost, so the ledger cannot be checked")
        case .changed, .parentAdded, .parentRemoved:
            break
        }
    }
}

/// A flag the test turns off to stop a background task.
final class SamplingFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = true
    var isOn: Bool { lock.withLock { on } }
    func turnOff() { lock.withLock { on = false } }
}

/// Polls `condition` until it holds or `seconds` pass.
func until(seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    } while Date() < deadline
    return false
}
