import Foundation
import Netlink
import Subdev
import SubdevUAPI
import SubdevVMM
import XCTest

/// Bad fault injections and bad AER answers: each gets its errno and a
/// message naming what is at fault, and changes nothing.
extension ValidationTests {
    func putEventParent(_ a: inout AttributeEncoder) {
        a.put(SubdevEventAttr.busName, "pci")
        a.put(SubdevEventAttr.devName, "0000:6a:01.0")
    }

    func testInjectAERNeedsASeverity() async throws {
        let error = try await reject(.injectAer) { a in putEventParent(&a) }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "inject-aer needs attribute severity")
        XCTAssertEqual(error.missingType, UInt32(SubdevEventAttr.severity.rawValue))
    }

    func testCorrectableErrorCannotFreezeTheChannel() async throws {
        let error = try await reject(.injectAer) { a in
            putEventParent(&a)
            a.put(SubdevEventAttr.severity, UInt8(SubdevAerSeverity.correctable.rawValue))
            a.put(SubdevEventAttr.channelState, UInt8(SubdevChannelState.frozen.rawValue))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "a correctable error leaves the channel normal, not frozen")
        XCTAssertEqual(error.offset, afterParent + 8)
    }

    func testFatalErrorCannotLeaveTheChannelNormal() async throws {
        let error = try await reject(.injectAer) { a in
            putEventParent(&a)
            a.put(SubdevEventAttr.severity, UInt8(SubdevAerSeverity.fatal.rawValue))
            a.put(SubdevEventAttr.channelState, UInt8(SubdevChannelState.normal.rawValue))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "a fatal error freezes the channel: give frozen or perm-failure, not normal")
    }

    func testInjectAEROnASubdeviceOfAnotherParent() async throws {
        let error = try await reject(.injectAer) { a in
            a.put(SubdevEventAttr.busName, "pci")
            a.put(SubdevEventAttr.devName, "0000:3b:00.0")
            a.put(SubdevEventAttr.name, "existing")
            a.put(SubdevEventAttr.severity, UInt8(SubdevAerSeverity.fatal.rawValue))
        }
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "subdevice existing is not on parent pci/0000:3b:00.0")
    }

    func testSecondErrorWhileRecoveringIsBusy() async throws {
        let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
        let held = try await HeldDevice.open(.name("existing"), client: client)
        defer { held.release() }
        try await client.injectAER(parent: dsa, device: .name("existing"), severity: .nonFatal, timeoutMilliseconds: 60_000)
        let error = try await reject(.injectAer) { a in
            putEventParent(&a)
            a.put(SubdevEventAttr.severity, UInt8(SubdevAerSeverity.fatal.rawValue))
        }
        XCTAssertEqual(error.errno, EBUSY)
        XCTAssertEqual(error.message, "pci/0000:6a:01.0/0 is still recovering from an earlier error")
    }

    func testHotplugErrorsNameTheParentAndChangeNothing() async throws {
        func hotplug(_ action: SubdevHotplugAction?, name: String = "0000:6a:01.0", window: UInt32? = nil,
                     cancel: Bool = false) async throws -> NetlinkError {
            try await reject(.injectHotplug) { a in
                a.put(SubdevEventAttr.busName, "pci")
                a.put(SubdevEventAttr.devName, name)
                if let action { a.put(SubdevEventAttr.hotplugAction, UInt8(action.rawValue)) }
                if let window { a.put(SubdevEventAttr.windowMs, window) }
                if cancel { a.putFlag(SubdevEventAttr.cancel) }
            }
        }
        var error = try await hotplug(.add)
        XCTAssertEqual(error.errno, EEXIST)
        XCTAssertEqual(error.message, "parent pci/0000:6a:01.0 is already present")
        XCTAssertEqual(error.offset, firstOffset + 8)
        error = try await hotplug(.remove, name: "0000:99:00.0")
        XCTAssertEqual(error.errno, ENODEV)
        XCTAssertEqual(error.message, "no parent pci/0000:99:00.0 is present")
        error = try await hotplug(.add, name: "0000:99:00.0")
        XCTAssertEqual(error.errno, ENODEV)
        XCTAssertEqual(error.message, "no slot holds a card pci/0000:99:00.0: describe it with present: false, or remove it first")
        error = try await hotplug(nil, cancel: true)
        XCTAssertEqual(error.errno, ENOENT)
        XCTAssertEqual(error.message, "no hotplug request for pci/0000:6a:01.0 waits to be cancelled")
        error = try await hotplug(.surpriseRemove, window: 100)
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.message, "surprise-remove has no window and no deadline: the card is gone at once")
        error = try await hotplug(nil)
        XCTAssertEqual(error.errno, EINVAL)
        XCTAssertEqual(error.missingType, UInt32(SubdevEventAttr.hotplugAction.rawValue))
        error = try await hotplug(.remove, cancel: true)
        XCTAssertEqual(error.message, "cancel takes no hotplug-action: it cancels the request that waits")
    }

    func testOnlyAHolderAnswersAndOnlyOnceWithTheRightSequence() async throws {
        let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
        let handle = DeviceHandle.name("existing")
        let events = try client.events()
        defer { events.cancel() }
        var iterator = events.makeAsyncIterator()

        // Not a holder yet: no recovery, and not ours to answer.
        do {
            try await client.answerAER(handle, sequence: 1, result: .recovered)
            XCTFail("a process that holds nothing cannot answer")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.errno, EPERM)
            XCTAssertEqual(error.message, "process \(getpid()) does not hold pci/0000:6a:01.0/0; only its holders answer its errors")
        }

        let held = try await HeldDevice.open(handle, client: client)
        defer { held.release() }
        try await client.injectAER(parent: dsa, device: handle, severity: .nonFatal, timeoutMilliseconds: 60_000)
        guard case .aer(let detected)? = try await nextMessage(&iterator) else { return XCTFail("no error-detected") }
        var onConnection: AEREvent?
        for await event in held.events {
            if case .aer(let event) = event { onConnection = event; break }
        }
        XCTAssertEqual(onConnection, detected, "the holder's connection carries the same event")

        do {
            try await client.answerAER(handle, sequence: detected.sequence + 7, result: .recovered)
            XCTFail("another event's sequence is refused")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.errno, ESTALE)
            XCTAssertEqual(error.message, "seq \(detected.sequence + 7) is not the error-detected event of pci/0000:6a:01.0/0's recovery, which is \(detected.sequence)")
        }
        // Over netlink by the holding process; then again on the connection.
        try await client.answerAER(handle, sequence: detected.sequence, result: .recovered)
        do {
            try await held.answer(detected, with: .needReset)
            XCTFail("a second answer is refused")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.errno, ENOENT, "the first answer completed the recovery")
            XCTAssertEqual(error.message, "pci/0000:6a:01.0/0 has no AER recovery waiting for an answer")
        }
        guard case .aer(let resumed)? = try await nextMessage(&iterator) else { return XCTFail("no resume") }
        XCTAssertEqual(resumed.stage, .resumed)
        let device = try await client.device(handle)
        XCTAssertEqual(device.aerStats, AERStatsInfo(nonFatal: 1))
        XCTAssertEqual(device.operState, .up)
    }

    func testInjectionNeedsCAPNETADMIN() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv (util-linux) to run the CLI as uid 65534")
        }
        let cli = try ModelProcess.product("subdev").path
        let setpriv = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        for words in [["inject", "aer", "pci/0000:6a:01.0", "severity", "fatal"],
                      ["inject", "hotplug", "pci/0000:6a:01.0", "remove"],
                      ["inject", "surprise-remove", "pci/0000:6a:01.0"]] {
            let result = try runProcess("/usr/bin/setpriv", setpriv + [cli, "--port", String(model.port)] + words)
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.hasPrefix("Error: inject-"), result.stderr)
            XCTAssertTrue(result.stderr.contains("needs CAP_NET_ADMIN"), result.stderr)
        }
    }
}
