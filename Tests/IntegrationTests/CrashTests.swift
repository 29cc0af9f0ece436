import Foundation
import Netlink
import Subdev
import SubdevUAPI
import SubdevVMM
import XCTest

/// Crashes (issue 7): clients and holders killed with SIGKILL at random
/// points lose nothing the model acknowledged and leave nothing of
/// theirs behind; `subdevd` stopped with SIGTERM removes its nodes and
/// sysfs tree, and starts clean again, as it does after being killed.
final class CrashTests: XCTestCase {
    static let seed: UInt64 = 0xDEAD_0007
    static let rounds = 10
    static let workersPerRound = 5

    func testClientsAndHoldersKilledAtRandomPointsLeaveNothingBehind() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let baseline = try await client.parents()
        let directory = URL(fileURLWithPath: try temporaryDirectory(for: self))
        var random = SeededRandom(seed: Self.seed)

        var killed: [StressWorker] = []
        for round in 0..<Self.rounds {
            let workers = try (0..<Self.workersPerRound).map { slot in
                try StressWorker(number: round * Self.workersPerRound + slot, seed: random.next(), operations: 0,
                                 port: model.port, directory: directory)
            }
            // Each is killed after its own random time, mid-operation or between two.
            let delays = workers.map { _ in UInt32.random(in: 50_000...400_000, using: &random) }
            for (worker, delay) in zip(workers, delays).sorted(by: { $0.1 < $1.1 }) {
                usleep(delay / UInt32(Self.workersPerRound))
                worker.kill()
                XCTAssertEqual(worker.process.terminationReason, .uncaughtSignal, "worker \(worker.number) ended before it was killed")
            }
            killed += workers
        }

        // The dead hold nothing and own nothing; the removals that waited
        // for them are done.
        let settled = try await until {
            try await client.devices().allSatisfy { $0.holders.isEmpty && $0.ownerPID == nil && $0.operState != .removing }
        }
        let devices = try await client.devices()
        XCTAssertTrue(settled, "state of killed processes left behind: \(devices.filter { !$0.holders.isEmpty || $0.ownerPID != nil })")

        // Nothing acknowledged is lost.
        let byName = Dictionary(devices.compactMap { device in device.name.map { ($0, device) } }, uniquingKeysWith: { first, _ in first })
        var ledger = CrashLedger()
        for worker in killed { ledger.read(worker.logLines()) }
        for name in ledger.mustExist {
            XCTAssertNotNil(byName[name], "\(name): its creation was acknowledged and never undone, but it is gone")
        }
        for name in ledger.mustBeGone {
            XCTAssertNil(byName[name], "\(name): deleted (acknowledged) or owned by a dead process, but still there")
        }
        for (name, state) in ledger.acknowledgedAdminStates {
            if let device = byName[name] { XCTAssertEqual(device.adminState, state, "\(name): the last acknowledged set is lost") }
        }

        // Nodes exist for the live subdevices only, each vfioN once.
        let vfios = devices.compactMap { $0.vfio?.index }
        XCTAssertEqual(Set(vfios).count, vfios.count, "a vfioN given twice: \(vfios.sorted())")
        let nodes = try FileManager.default.contentsOfDirectory(atPath: "\(model.root)/dev/vfio/devices")
        XCTAssertEqual(Set(nodes), Set(vfios.map { "vfio\($0)" }), "device nodes and live subdevices differ")

        // Deleting what is left returns every counter to where it started.
        for result in try await client.deleteDevices(devices.map(\.handle)) {
            if case .failure(let error) = result { XCTFail("cleanup: \(error)") }
        }
        let drained = try await until { try await client.parents().map(\.counters) == baseline.map(\.counters) }
        XCTAssertTrue(drained, "capacity leaked after the kills")
        XCTAssertTrue(model.process.isRunning, "subdevd died")
        print("crashes, seed 0x\(String(Self.seed, radix: 16)): \(killed.count) client processes killed with SIGKILL at random points "
              + "(\(ledger.steps) logged steps, \(ledger.holds) holds taken); \(ledger.mustExist.count) acknowledged subdevices kept, "
              + "\(ledger.mustBeGone.count) deleted or owned by the dead gone, \(ledger.inDoubt) in flight at a kill either way; "
              + "no holder, owner or removal of the dead left; nodes match; capacity drained")
        XCTAssertGreaterThan(ledger.mustExist.count + ledger.mustBeGone.count, 20, "too little acknowledged to say anything")
    }

    func testSIGTERMRemovesNodesAndSysfsAndARestartStartsClean() async throws {
        let model = try ModelProcess.start()
        let client = try await SubdevClient.connect(port: model.port)
        let baseline = try await client.parents()
        let mtty = ParentHandle(bus: "virtual", name: "mtty")
        let first = try await client.createDevice(parent: mtty, type: "mtty-1", name: "before-term")
        _ = try await client.createDevice(parent: mtty, type: "mtty-2")
        // A holder at the moment of the signal, as a running VM would be.
        let held = try HeldDevice(first, family: client.family)
        defer { held.release() }
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(model.root)/dev/vfio/devices/vfio0"))

        kill(model.process.processIdentifier, SIGTERM)
        waitForExit(model.process)
        XCTAssertEqual(model.process.terminationReason, .exit)
        XCTAssertEqual(model.process.terminationStatus, 0, "subdevd did not shut down cleanly")
        XCTAssertFalse(FileManager.default.fileExists(atPath: model.root), "the model's root (nodes, sysfs tree) outlived it")

        let again = try ModelProcess.start(port: model.port)
        defer { again.stop() }
        let restarted = try await SubdevClient.connect(port: again.port)
        let parentsAfterRestart = try await restarted.parents()
        let devicesAfterRestart = try await restarted.devices()
        XCTAssertEqual(devicesAfterRestart.count, 0)
        XCTAssertEqual(parentsAfterRestart.map(\.counters), baseline.map(\.counters))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(again.root)/dev/vfio/devices"), [])
    }

    func testARestartAfterSIGKILLClearsWhatTheDeadModelLeft() async throws {
        let model = try ModelProcess.start()
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: ParentHandle(bus: "virtual", name: "mtty"), type: "mtty-1", name: "orphan")
        kill(model.process.processIdentifier, SIGKILL)
        waitForExit(model.process)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(model.root)/dev/vfio/devices/vfio0"), "a killed model cannot clean up")

        let again = try ModelProcess.start(port: model.port)
        defer { again.stop() }
        let restarted = try await SubdevClient.connect(port: again.port)
        let devices = try await restarted.devices()
        XCTAssertEqual(devices.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(again.root)/dev/vfio/devices"), [],
                       "the dead model's nodes are still there")
        let created = try await restarted.createDevice(parent: ParentHandle(bus: "virtual", name: "mtty"), type: "mtty-1", name: "orphan")
        XCTAssertEqual(created.vfio?.index, 0)
    }
}

/// What the killed workers' logs oblige the model to: each line is
/// written before a request is sent, or after its acknowledgement came.
struct CrashLedger {
    /// Acknowledged, not bound to the (dead) process, and never asked to go.
    private(set) var mustExist: Set<String> = []
    /// Deletion acknowledged, or owned by a process that is now dead.
    private(set) var mustBeGone: Set<String> = []
    /// The admin state of the last set each subdevice had acknowledged,
    /// when no later set was in flight.
    private(set) var acknowledgedAdminStates: [String: SubdevAdminState] = [:]
    private(set) var steps = 0
    private(set) var holds = 0
    /// Requests in flight at a kill: either outcome is right.
    private(set) var inDoubt = 0

    mutating func read(_ lines: [[Substring]]) {
        var pendingNew: String?
        var pendingDelete: String?
        var pendingSet: String?
        for words in lines {
            guard let verb = words.first, words.count >= 2 else { continue }
            let name = String(words[1])
            steps += 1
            switch verb {
            case "new":
                pendingNew = name
                if words.contains("owned") { mustBeGone.insert(name) }
            case "ack-new":
                pendingNew = nil
                if !words.contains("owned") { mustExist.insert(name) }
            case "del":
                pendingDelete = name
                mustExist.remove(name)
                acknowledgedAdminStates[name] = nil
            case "ack-del":
                pendingDelete = nil
                mustBeGone.insert(name)
            case "set":
                pendingSet = name
                acknowledgedAdminStates[name] = nil
            case "ack-set":
                pendingSet = nil
                acknowledgedAdminStates[name] = words.count >= 3 ? (words[2] == "up" ? .up : .down) : nil
            case "hold":
                holds += 1
            default:
                break
            }
        }
        // The last request in flight when the kill came.
        for name in [pendingNew, pendingDelete, pendingSet].compactMap({ $0 }) {
            inDoubt += 1
            if name == pendingNew, !mustBeGone.contains(name) { mustExist.remove(name) }
            acknowledgedAdminStates[name] = nil
        }
    }
}
