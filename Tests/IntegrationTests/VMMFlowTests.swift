import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// Every event flow end to end, with real processes: subdevd, the example
/// VMM holding subdevices through their device nodes, and a subscriber on
/// both groups. Each test asserts the exact sequence the subscriber and
/// the VMM saw, and that no subdevice, holder or capacity leaks.
final class VMMFlowTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")

    typealias Setup = SubscribedModel

    func setUpModel() async throws -> Setup {
        try await SubscribedModel.start(["--remove-interval-ms", "100", "--aer-timeout-ms", "1000"])
    }

    /// Creates a dwq named `name` and consumes its dev-new-ntf.
    func create(_ name: String, _ setup: inout Setup) async throws -> DeviceInfo {
        let device = try await setup.client.createDevice(parent: dsa, type: "dwq", name: name, params: [("wq-size", .int(4))])
        guard case .created? = try await next(&setup.config) else { throw XCTSkip("no dev-new-ntf") }
        return device
    }

    /// Starts the example VMM on `devices` and consumes the notification of each open.
    func startVMM(_ devices: [String], _ arguments: [String] = [], _ setup: inout Setup) async throws -> VMMProcess {
        let vmm = try VMMProcess(model: setup.model, devices: devices, arguments: arguments, for: self)
        for _ in devices {
            guard case .changed(let held)? = try await next(&setup.config) else { throw XCTSkip("no open notification") }
            XCTAssertEqual(held.reason, "process \(vmm.pid) opened the device")
        }
        return vmm
    }

    func next<Element: Sendable>(_ iterator: inout GroupMessages<Element>.Iterator, timeout: Double = 5) async throws -> Element? {
        try await nextMessage(&iterator, timeout: timeout)
    }

    /// Events until one matches `last` (included).
    func events(_ setup: inout Setup, through last: (SubdevEvent) -> Bool) async throws -> [SubdevEvent] {
        var seen: [SubdevEvent] = []
        while let event = try await next(&setup.events) {
            seen.append(event)
            if last(event) { return seen }
        }
        XCTFail("the events stopped after \(seen)")
        return seen
    }

    func assertNothingLeaks(_ setup: Setup, file: StaticString = #filePath, line: UInt = #line) async throws {
        let devices = try await setup.client.devices()
        XCTAssertEqual(devices, [], file: file, line: line)
        for parent in try await setup.client.parents() {
            XCTAssertEqual(parent.counters.map(\.reserved), parent.counters.map { _ in 0 }, "\(parent.handle) has every counter free", file: file, line: line)
        }
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "\(setup.model.root)/dev/vfio/devices")) ?? []
        XCTAssertEqual(nodes, [], "no device node is left", file: file, line: line)
    }

    /// The remove requests of `events` are numbered 1, 2, ... and name the holder.
    func assertRequests(_ events: [SubdevEvent], holder: Int32, file: StaticString = #filePath, line: UInt = #line) -> Int {
        let counters = events.compactMap { event -> UInt32? in
            guard case .removeRequest(let request) = event else { return nil }
            XCTAssertEqual(request.holderPIDs, [UInt32(holder)], file: file, line: line)
            return request.counter
        }
        XCTAssertFalse(counters.isEmpty, "at least one remove request", file: file, line: line)
        XCTAssertEqual(counters, Array(1...UInt32(max(1, counters.count))), file: file, line: line)
        return counters.count
    }

    func aerStages(_ events: [SubdevEvent]) -> [SubdevAerStage] {
        events.compactMap { event in if case .aer(let e) = event { return e.stage } else { return nil } }
    }

    func hotplugStages(_ events: [SubdevEvent]) -> [SubdevHotplugStage] {
        events.compactMap { event in if case .hotplug(let e) = event { return e.stage } else { return nil } }
    }

    // MARK: removal

    func testSoftRemovalCompletesWhenTheVMMReleases() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], ["--unplug-ms", "250"], &setup)

        try await setup.client.deleteDevice(device.handle)
        guard case .changed(let removing)? = try await next(&setup.config) else { return XCTFail("no removing state") }
        XCTAssertEqual(removing.operState, .removing)
        XCTAssertEqual(removing.reason, "removal requested; waiting for the holders to let go")
        guard case .changed(let released)? = try await next(&setup.config) else { return XCTFail("no release") }
        XCTAssertEqual(released.reason, "holder \(vmm.pid) released the device")
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }

        // Every event the subscriber saw was a remove request, numbered from 1.
        var seen: [SubdevEvent] = []
        while let event = try await next(&setup.events, timeout: 0.3) { seen.append(event) }
        let requests = assertRequests(seen, holder: vmm.pid)
        XCTAssertEqual(seen.count, requests, "nothing but remove requests: \(seen)")
        XCTAssertEqual(gone.reason, "its holders let go after \(requests == 1 ? "1 remove request" : "\(requests) remove requests")")

        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        let log = vmm.events
        XCTAssertEqual(Array(log.prefix(4)), ["held", "ready", "remove-request", "unplug-started"])
        XCTAssertEqual(log.filter { $0 == "remove-request" }.count, requests, "the VMM saw each request on its connection")
        XCTAssertEqual(Array(log.suffix(2)), ["released", "exit"])
        try await assertNothingLeaks(setup)
    }

    func testVMMThatIgnoresRequestsMeetsTheDeadlineAndIsRevoked() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], ["--ignore-removal"], &setup)

        try await setup.client.deleteDevice(device.handle, deadlineMilliseconds: 350)
        guard case .changed(let removing)? = try await next(&setup.config) else { return XCTFail("no removing state") }
        XCTAssertEqual(removing.reason, "removal requested; holders have 350 ms to let go")
        let seen = try await events(&setup) { if case .revoke = $0 { return true } else { return false } }
        let requests = assertRequests(Array(seen.dropLast()), holder: vmm.pid)
        guard case .revoke(let revoke)? = seen.last else { return XCTFail("no revocation") }
        XCTAssertEqual(revoke.holderPIDs, [UInt32(vmm.pid)])
        XCTAssertEqual(revoke.reason, "the removal turned hard after its 350 ms deadline")
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "the removal turned hard after its 350 ms deadline; holders \(vmm.pid) revoked")

        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0, "revoked, the VMM holds nothing and exits; nobody killed it")
        XCTAssertEqual(vmm.events, ["held", "ready"] + Array(repeating: "remove-request", count: requests) + ["revoked", "gone", "exit"])
        try await assertNothingLeaks(setup)
    }

    // MARK: AER

    func testFatalAERIsResetThroughThePluginAndTheVMMResumes() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], [], &setup)

        try await setup.client.injectAER(parent: dsa, device: .name("vm1"), severity: .fatal)
        let seen = try await events(&setup) { if case .aer(let e) = $0 { return e.stage == .resumed } else { return false } }
        XCTAssertEqual(aerStages(seen), [.errorDetected, .reset, .resumed], "\(seen)")
        guard case .aer(let detected) = seen[0] else { return XCTFail() }
        XCTAssertEqual(detected.severity, .fatal)
        XCTAssertEqual(detected.channelState, .frozen, "a fatal error freezes the channel")
        XCTAssertEqual(detected.timeoutMilliseconds, 1000)
        XCTAssertEqual(detected.holderPIDs, [UInt32(vmm.pid)])
        XCTAssertEqual(detected.handle, device.handle)

        guard case .changed(let error)? = try await next(&setup.config) else { return XCTFail("no error state") }
        XCTAssertEqual(error.operState, .error)
        XCTAssertEqual(error.reason, "fatal AER error detected; holders have 1000 ms to answer")
        guard case .changed(let recovered)? = try await next(&setup.config) else { return XCTFail("no recovery") }
        XCTAssertEqual(recovered.operState, .up)
        XCTAssertEqual(recovered.reason, "recovered from a fatal AER error after a reset")
        XCTAssertEqual(recovered.aerStats, AERStatsInfo(fatal: 1, resets: 1))
        XCTAssertEqual(recovered.holders.map(\.pid), [UInt32(vmm.pid)], "the VMM still holds it")

        let logged = await vmm.waitFor("resumed")
        XCTAssertNotNil(logged)
        XCTAssertEqual(Array(vmm.events.dropFirst(2)), ["aer", "paused", "answered", "aer", "restored", "aer", "resumed"])
        XCTAssertEqual(vmm.lines.first { $0.event == "answered" }?["result"], "need-reset")

        try await setup.client.deleteDevice(device.handle)
        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        try await assertNothingLeaks(setup)
    }

    func testNonFatalAERWhoseHoldersRecoveredResumesWithoutReset() async throws {
        var setup = try await setUpModel()
        _ = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], ["--aer-answer", "recovered"], &setup)

        try await setup.client.injectAER(parent: dsa, severity: .nonFatal)
        let seen = try await events(&setup) { if case .aer(let e) = $0 { return e.stage == .resumed } else { return false } }
        XCTAssertEqual(aerStages(seen), [.errorDetected, .resumed])
        guard case .aer(let detected) = seen[0] else { return XCTFail() }
        XCTAssertEqual(detected.channelState, .normal)
        _ = try await next(&setup.config)
        guard case .changed(let recovered)? = try await next(&setup.config) else { return XCTFail("no recovery") }
        XCTAssertEqual(recovered.reason, "recovered from a non-fatal AER error without a reset")
        XCTAssertEqual(recovered.aerStats, AERStatsInfo(nonFatal: 1))
        let parent = try await setup.client.parent(dsa)
        XCTAssertEqual(parent.aerStats, AERStatsInfo(nonFatal: 1), "an error on the parent is counted there too")
        let logged = await vmm.waitFor("resumed")
        XCTAssertNotNil(logged)
        XCTAssertFalse(vmm.events.contains("restored"))
    }

    func testCorrectableErrorsAreCountedAndReportedWithoutAnswers() async throws {
        var setup = try await setUpModel()
        _ = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], [], &setup)
        for _ in 0..<3 { try await setup.client.injectAER(parent: dsa, device: .name("vm1"), severity: .correctable) }
        for count in 1...3 {
            guard case .aer(let event)? = try await next(&setup.events) else { return XCTFail("no aer event") }
            XCTAssertEqual(event.stage, .correctable)
            XCTAssertEqual(event.stats?.correctable, UInt64(count))
        }
        let device = try await setup.client.device(.name("vm1"))
        XCTAssertEqual(device.aerStats, AERStatsInfo(correctable: 3))
        XCTAssertEqual(device.operState, .up)
        let logged = await vmm.waitFor("aer", occurrence: 3)
        XCTAssertNotNil(logged)
        XCTAssertFalse(vmm.events.contains("paused"), "nothing to answer")
    }

    func testVMMThatDoesNotAnswerIsDisconnectedAndTheDeviceIsResetAnyway() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], ["--aer-answer", "none"], &setup)

        try await setup.client.injectAER(parent: dsa, device: device.handle, severity: .fatal, timeoutMilliseconds: 300)
        let seen = try await events(&setup) { if case .aer(let e) = $0 { return e.stage == .resumed } else { return false } }
        guard seen.count == 4, case .aer(let detected) = seen[0], case .revoke(let revoke) = seen[1],
              case .aer(let reset) = seen[2], case .aer(let resumed) = seen[3] else { return XCTFail("\(seen)") }
        XCTAssertEqual(detected.timeoutMilliseconds, 300)
        XCTAssertEqual(revoke.reason, "did not answer the AER error within 300 ms (\(vmm.pid))")
        XCTAssertEqual(reset.stage, .reset)
        XCTAssertEqual(resumed.holderPIDs, [], "nobody holds it after the revocation")
        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        XCTAssertEqual(Array(vmm.events.dropFirst(2)), ["aer", "paused", "not-answering", "revoked", "gone", "exit"])
        let after = try await setup.client.device(device.handle)
        XCTAssertEqual(after.operState, .up, "the subdevice stays, reset and unheld")
        XCTAssertEqual(after.holders, [])
    }

    func testPermanentFailureRemovesTheSubdeviceAndRevokesTheVMM() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], [], &setup)
        try await setup.client.injectAER(parent: dsa, device: device.handle, severity: .fatal, channelState: .permFailure)
        let seen = try await events(&setup) { if case .revoke = $0 { return true } else { return false } }
        guard seen.count == 2, case .aer(let failed) = seen[0] else { return XCTFail("\(seen)") }
        XCTAssertEqual(failed.stage, .failed)
        XCTAssertEqual(failed.channelState, .permFailure)
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "a fatal AER error failed the channel for good; holders \(vmm.pid) revoked")
        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        try await assertNothingLeaks(setup)
    }

    // MARK: hotplug

    func testHotplugRemovalCancelledInsideTheWindowChangesNothing() async throws {
        var setup = try await setUpModel()
        let device = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], [], &setup)
        let parentsBefore = try await setup.client.parents()
        let devicesBefore = try await setup.client.devices()

        try await setup.client.injectHotplug(parent: dsa, action: .remove, windowMilliseconds: 5000)
        guard case .hotplug(let requested)? = try await next(&setup.events) else { return XCTFail("no request") }
        XCTAssertEqual(requested.stage, .requested)
        XCTAssertEqual(requested.action, .remove)
        XCTAssertEqual(requested.windowMilliseconds, 5000)
        let during = try await setup.client.parent(dsa)
        XCTAssertEqual(during.hotplugStage, .requested)
        do {
            _ = try await setup.client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(1))])
            XCTFail("a parent about to go takes no new subdevices")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.errno, EBUSY)
            XCTAssertEqual(error.message, "parent \(dsa) has a hotplug removal requested")
        }

        try await setup.client.cancelHotplug(parent: dsa)
        guard case .hotplug(let cancelled)? = try await next(&setup.events) else { return XCTFail("no cancellation") }
        XCTAssertEqual(cancelled.stage, .cancelled)
        XCTAssertEqual(cancelled.sequence, requested.sequence + 1)
        let parentsAfter = try await setup.client.parents()
        let devicesAfter = try await setup.client.devices()
        XCTAssertEqual(parentsAfter, parentsBefore)
        XCTAssertEqual(devicesAfter, devicesBefore)
        let logged = await vmm.waitFor("hotplug", occurrence: 2)
        XCTAssertNotNil(logged)
        XCTAssertEqual(vmm.lines.filter { $0.event == "hotplug" }.map { $0["stage"] }, ["requested", "cancelled"])

        // Nothing happened in between: the next notification is the one this causes.
        try await setup.client.deleteDevice(device.handle, force: true)
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("something else changed") }
        XCTAssertEqual(gone.handle, device.handle)
    }

    func testHotplugRemovalSoftRemovesSubdevicesThenTheParentAndAddBringsItBack() async throws {
        var setup = try await setUpModel()
        let typesBefore = try await setup.client.types(of: dsa)
        _ = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], ["--unplug-ms", "150"], &setup)

        try await setup.client.injectHotplug(parent: dsa, action: .remove, windowMilliseconds: 200)
        let seen = try await events(&setup) { if case .hotplug(let e) = $0 { return e.stage == .done } else { return false } }
        guard case .hotplug(let requested) = seen[0], case .hotplug(let proceeding) = seen[1],
              case .hotplug(let done)? = seen.last else { return XCTFail("\(seen)") }
        XCTAssertEqual([requested.stage, proceeding.stage, done.stage], [.requested, .proceeding, .done])
        _ = assertRequests(Array(seen.dropFirst(2).dropLast()), holder: vmm.pid)

        guard case .changed(let removing)? = try await next(&setup.config) else { return XCTFail("no removing") }
        XCTAssertEqual(removing.reason, "hotplug removal of \(dsa): removal requested; waiting for the holders to let go")
        guard case .changed? = try await next(&setup.config), case .deleted? = try await next(&setup.config) else {
            return XCTFail("no release and deletion")
        }
        guard case .parentRemoved(let last)? = try await next(&setup.config) else { return XCTFail("no parent-del-ntf") }
        XCTAssertEqual(last.handle, dsa)
        let parents = try await setup.client.parents()
        XCTAssertFalse(parents.contains { $0.handle == dsa })
        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        XCTAssertEqual(vmm.lines.filter { $0.event == "hotplug" }.map { $0["stage"] }, ["requested", "proceeding"])

        try await setup.client.injectHotplug(parent: dsa, action: .add, windowMilliseconds: 100)
        let added = try await events(&setup) { if case .hotplug(let e) = $0 { return e.stage == .done } else { return false } }
        XCTAssertEqual(hotplugStages(added), [.requested, .done])
        guard case .parentAdded(let back)? = try await next(&setup.config) else { return XCTFail("no parent-new-ntf") }
        XCTAssertEqual(back.handle, dsa)
        let typesAfter = try await setup.client.types(of: dsa)
        XCTAssertEqual(typesAfter, typesBefore, "its types appear again, with all their capacity")
        // Its subdevices' directories are kept and taken back in its new directory.
        let store = "\(setup.model.root)/.sysfs-recycled"
        func keptCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: store).count) ?? 0 }
        let keptBefore = keptCount()
        let made = try await create("vm2", &setup)
        XCTAssertEqual(keptCount(), keptBefore - 1, "the new subdevice took a kept directory")
        let directory = try XCTUnwrap(made.vfio?.sysfsPath)
        try await setup.client.deleteDevice(made.handle)
        guard case .deleted? = try await next(&setup.config) else { return XCTFail("no dev-del-ntf") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
        XCTAssertEqual(keptCount(), keptBefore, "its directory is kept again")
        let again = try await create("vm2", &setup)
        XCTAssertEqual(again.vfio?.sysfsPath, directory)
        XCTAssertEqual(try String(contentsOfFile: "\(directory)/name", encoding: .utf8), "vm2\n")
        try await setup.client.deleteDevice(again.handle)
        guard case .deleted? = try await next(&setup.config) else { return XCTFail("no dev-del-ntf") }
        try await assertNothingLeaks(setup)
    }

    func testSurpriseRemovalRevokesHoldersAndRemovesTheParentAtOnce() async throws {
        var setup = try await setUpModel()
        _ = try await create("vm1", &setup)
        let vmm = try await startVMM(["vm1"], [], &setup)

        try await setup.client.injectHotplug(parent: dsa, action: .surpriseRemove)
        let seen = try await events(&setup) { if case .hotplug = $0 { return true } else { return false } }
        guard seen.count == 2, case .revoke(let revoke) = seen[0], case .hotplug(let pulled) = seen[1] else { return XCTFail("\(seen)") }
        XCTAssertEqual(revoke.reason, "parent \(dsa) was surprise-removed")
        XCTAssertEqual(pulled.action, .surpriseRemove)
        XCTAssertEqual(pulled.stage, .done)
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "parent \(dsa) was surprise-removed; holders \(vmm.pid) revoked")
        guard case .parentRemoved? = try await next(&setup.config) else { return XCTFail("no parent-del-ntf") }
        let status = await vmm.exitStatus()
        XCTAssertEqual(status, 0)
        XCTAssertEqual(Array(vmm.events.suffix(3)), ["revoked", "gone", "exit"])
        try await assertNothingLeaks(setup)
    }
}
