import Foundation
import XCTest
import Netlink
import Subdev

/// Soft removal as seed 001 asks: an unheld subdevice goes at once; a held
/// one asks its holders, again and again, until they let go, a deadline
/// turns it hard, or force does at once. Each test checks the exact
/// sequence of config notifications and events a subscriber sees, and that
/// nothing leaks.
final class RemovalTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")

    typealias Setup = SubscribedModel

    /// A model that repeats remove requests every 100 ms, a client, and
    /// subscriptions to both groups.
    func setUpModel() async throws -> Setup {
        try await SubscribedModel.start(["--remove-interval-ms", "100"])
    }

    /// Starts the holder fixture on `device`'s node and waits until the
    /// model has announced it.
    func hold(_ device: DeviceInfo, _ setup: inout Setup, arguments: [String] = []) throws -> (Process, Pipe) {
        let program = try Fixtures.build("holder", for: self)
        let process = Process()
        let out = Pipe()
        process.executableURL = program
        process.arguments = [try XCTUnwrap(device.vfio?.devNode)] + arguments
        process.standardOutput = out
        try process.run()
        addTeardownBlock {
            kill(process.processIdentifier, SIGKILL)
            waitForExit(process)
        }
        return (process, out)
    }

    func next<Element: Sendable>(_ iterator: inout GroupMessages<Element>.Iterator, timeout: Double = 5) async throws -> Element? {
        try await nextMessage(&iterator, timeout: timeout)
    }

    func assertNothingLeaks(_ setup: Setup, file: StaticString = #filePath, line: UInt = #line) async throws {
        let devices = try await setup.client.devices()
        XCTAssertEqual(devices, [], file: file, line: line)
        let counters = try await setup.client.parent(dsa).counters
        XCTAssertEqual(counters.map(\.reserved), counters.map { _ in 0 }, "every counter is free again", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(setup.model.root)/dev/vfio/devices/vfio0"), file: file, line: line)
    }

    func output(_ pipe: Pipe) -> String {
        String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func testUnheldSubdeviceGoesAtOnce() async throws {
        var setup = try await setUpModel()
        defer { setup.model.stop() }
        let device = try await setup.client.createDevice(parent: dsa, type: "dwq")
        try await setup.client.deleteDevice(device.handle)
        let created = try await next(&setup.config)
        XCTAssertEqual(created, .created(device))
        guard case .deleted(let last)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertNil(last.reason, "an ordinary deletion needs no reason")
        try await assertNothingLeaks(setup)
    }

    func testSoftRemovalCompletesWhenTheHolderLetsGo() async throws {
        var setup = try await setUpModel()
        defer { setup.model.stop() }
        let device = try await setup.client.createDevice(parent: dsa, type: "dwq", name: "vm0")
        _ = try await next(&setup.config)
        let (holder, out) = try hold(device, &setup, arguments: ["release-after", "2"])
        guard case .changed? = try await next(&setup.config) else { return XCTFail("the holder was not announced") }

        try await setup.client.deleteDevice(device.handle)
        // Config: removing, released, deleted.
        guard case .changed(let removing)? = try await next(&setup.config) else { return XCTFail("no removing state") }
        XCTAssertEqual(removing.operState, .removing)
        XCTAssertEqual(removing.reason, "removal requested; waiting for the holders to let go")
        guard case .changed(let released)? = try await next(&setup.config) else { return XCTFail("no release") }
        XCTAssertEqual(released.reason, "holder \(holder.processIdentifier) released the device")
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "its holders let go after 2 remove requests")
        // Events: two remove requests, in sequence, naming the holder.
        guard case .removeRequest(let first)? = try await next(&setup.events),
              case .removeRequest(let second)? = try await next(&setup.events) else { return XCTFail("no remove requests") }
        XCTAssertEqual([first.counter, second.counter], [1, 2])
        XCTAssertEqual(second.sequence, first.sequence + 1)
        XCTAssertEqual(first.name, "vm0")
        XCTAssertEqual(first.holderPIDs, [UInt32(holder.processIdentifier)])
        XCTAssertNil(first.deadlineMilliseconds)
        waitForExit(holder)
        XCTAssertEqual(output(out), "held\nmessage 1\nmessage 2\nreleased\n", "the holder got both requests on its connection")
        let more = try await next(&setup.events, timeout: 0.3)
        XCTAssertNil(more, "no request after the holder let go")
        try await assertNothingLeaks(setup)
    }

    func testADeadlineTurnsTheRemovalHard() async throws {
        var setup = try await setUpModel()
        defer { setup.model.stop() }
        let device = try await setup.client.createDevice(parent: dsa, type: "dwq")
        _ = try await next(&setup.config)
        let (holder, out) = try hold(device, &setup)
        _ = try await next(&setup.config)

        try await setup.client.deleteDevice(device.handle, deadlineMilliseconds: 250)
        guard case .changed(let removing)? = try await next(&setup.config) else { return XCTFail("no removing state") }
        XCTAssertEqual(removing.reason, "removal requested; holders have 250 ms to let go")
        // Requests at 0, 100 and 200 ms, then the revocation at 250 ms.
        var counters: [UInt32] = []
        var revoked: DeviceEvent?
        while revoked == nil, let event = try await next(&setup.events) {
            switch event {
            case .removeRequest(let request):
                counters.append(request.counter ?? 0)
                XCTAssertNotNil(request.deadlineMilliseconds)
            case .revoke(let revoke): revoked = revoke
            default: XCTFail("unexpected \(event)")
            }
        }
        // At least the first request; how many follow depends on how
        // promptly the model wakes, so only their order is asserted.
        XCTAssertGreaterThanOrEqual(counters.count, 1)
        XCTAssertEqual(counters, Array(1...UInt32(max(1, counters.count))))
        XCTAssertEqual(revoked?.holderPIDs, [UInt32(holder.processIdentifier)])
        XCTAssertEqual(revoked?.reason, "the removal turned hard after its 250 ms deadline")
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "the removal turned hard after its 250 ms deadline; holders \(holder.processIdentifier) revoked")
        waitForExit(holder)
        XCTAssertTrue(output(out).hasSuffix("message \(counters.count + 1)\nclosed\n"), "the holder was told, then cut off; it was not killed")
        XCTAssertEqual(holder.terminationStatus, 0)
        try await assertNothingLeaks(setup)
    }

    func testForceRevokesAtOnceAndASecondSoftDeleteIsBusy() async throws {
        var setup = try await setUpModel()
        defer { setup.model.stop() }
        let device = try await setup.client.createDevice(parent: dsa, type: "dwq")
        _ = try await next(&setup.config)
        let (holder, _) = try hold(device, &setup)
        _ = try await next(&setup.config)
        try await setup.client.deleteDevice(device.handle)
        _ = try await next(&setup.config)
        await XCTAssertThrowsErrno(EBUSY, try await setup.client.deleteDevice(device.handle),
                                   message: "\(device.handle) is already being removed, waiting for its holders; force cuts them off")
        await XCTAssertThrowsErrno(EBUSY, try await setup.client.setDevice(device.handle, adminState: .down),
                                   message: "\(device.handle) is being removed")
        try await setup.client.deleteDevice(device.handle, force: true)
        guard case .deleted(let gone)? = try await next(&setup.config) else { return XCTFail("no deletion") }
        XCTAssertEqual(gone.reason, "removed by force while its holders were asked to let go; holders \(holder.processIdentifier) revoked")
        var sawRevoke = false
        while let event = try await next(&setup.events, timeout: 1) {
            if case .revoke(let revoke) = event {
                XCTAssertEqual(revoke.holderPIDs, [UInt32(holder.processIdentifier)])
                sawRevoke = true
                break
            }
        }
        XCTAssertTrue(sawRevoke)
        try await assertNothingLeaks(setup)
    }
}

/// The same flows through the CLI: `dev del ... wait`, `deadline`, and
/// `monitor events`.
final class RemovalCLITests: XCTestCase {
    func testDelWaitsForTheHolderAndMonitorShowsTheRequests() async throws {
        let model = try ModelProcess.start(arguments: ["--remove-interval-ms", "100"])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let port = ["--port", String(model.port)]
        let device = try await client.createDevice(parent: ParentHandle(bus: "pci", name: "0000:6a:01.0"), type: "dwq", name: "vm0")
        let monitor = Process()
        let monitorOut = Pipe(), monitorErr = Pipe()
        monitor.executableURL = try ModelProcess.product("subdev")
        monitor.arguments = port + ["monitor", "events"]
        monitor.standardOutput = monitorOut
        monitor.standardError = monitorErr
        try monitor.run()
        defer {
            kill(monitor.processIdentifier, SIGKILL)
            waitForExit(monitor)
        }
        let said = monitorErr.read(until: { $0.contains("monitoring events") })
        XCTAssertTrue(said.contains("monitoring events"), "monitor did not start: \(said)")

        // Nobody lets go and there is no deadline: wait gives up, the removal goes on.
        let holder = Process()
        let holderOut = Pipe()
        holder.executableURL = try Fixtures.build("holder", for: self)
        holder.arguments = [try XCTUnwrap(device.vfio?.devNode)]
        holder.standardOutput = holderOut
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            waitForExit(holder)
        }
        XCTAssertEqual(holderOut.readLines(1), "held\n")
        _ = try await heldBy(.name("vm0"), client)
        let impatient = try runProduct("subdev", port + ["dev", "del", "vm0", "wait", "0.3"])
        XCTAssertEqual(impatient.status, 1)
        XCTAssertEqual(impatient.stderr, "Error: pci/0000:6a:01.0/0 is still being removed after 0.3 s; its holders have not let go\n")
        // A second del ... wait joins the removal under way rather than failing with EBUSY.
        let again = try runProduct("subdev", port + ["dev", "del", "vm0", "wait", "0.3"])
        XCTAssertEqual(again.stderr, impatient.stderr)
        // force cuts the holder off; wait returns once the subdevice is gone.
        let hard = try runProduct("subdev", port + ["dev", "del", "vm0", "force", "wait", "5"])
        XCTAssertEqual(hard.status, 0, hard.stderr)
        let devices = try await client.devices()
        XCTAssertEqual(devices, [])

        monitor.terminate()
        kill(monitor.processIdentifier, SIGKILL)
        let lines = String(decoding: monitorOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("[event,remove-request] seq 1 pci/0000:6a:01.0/0 name vm0 counter 1 holders \(holder.processIdentifier)") ?? false,
                      lines.joined(separator: "\n"))
        XCTAssertEqual(lines.last, "[event,revoke] seq \(lines.count) pci/0000:6a:01.0/0 name vm0 holders \(holder.processIdentifier) reason \"removed by force while its holders were asked to let go\"")
    }

    func testDelWithABadWaitIsRefusedBeforeAnythingIsDeleted() throws {
        let result = try runProduct("subdev", ["--port", "1", "dev", "del", "vm0", "wait", "-1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: wait takes a number of seconds from 0, not -1\n")
    }

    func testDelWithBadWordsIsRefused() throws {
        let result = try runProduct("subdev", ["--port", "1", "dev", "del", "vm0", "softly"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: dev del takes force, deadline MS and wait [SECONDS], not softly\n")
    }
}
