import Foundation
import Synchronization
import XCTest
import Netlink
import Subdev
import SubdevVMM
import SubdevDefinitions

/// Both places a client may make its socket calls give the same answers
/// from `subdevd`: single requests, errors, batches and dumps. And a
/// request leaves its caller's actor only when it is to.
final class RequestThreadTests: XCTestCase {
    let mtty = ParentHandle(bus: "virtual", name: "mtty")

    func testCallerAndDedicatedThreadsGiveTheSameAnswers() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        var seen: [[String]] = []
        for thread in [RequestThread.caller, .dedicated] {
            let client = try await SubdevClient.connect(port: model.port, requestThread: thread)
            let one = try await client.createDevice(parent: mtty, type: "mtty-1", name: "solo")
            let batch = try await client.createDevices((0..<5).map { NewDevice(parent: mtty, type: "mtty-1", name: "b\($0)") })
            XCTAssertTrue(batch.allSatisfy { (try? $0.get()) != nil }, "\(thread)")
            do {
                _ = try await client.createDevice(parent: mtty, type: "mtty-1", name: "solo")
                XCTFail("a second subdevice named solo must be refused (\(thread))")
            } catch let error as NetlinkError {
                XCTAssertEqual(error.errno, EEXIST)
            }
            let listed = try await client.devices()
            seen.append(listed.map { "\($0.handle) \($0.type) vfio\($0.vfio?.index ?? 0)" })
            XCTAssertEqual(listed.map(\.name), ["solo"] + (0..<5).map { "b\($0)" })
            for outcome in try await client.deleteDevices(listed.map(\.handle)) { try outcome.get() }
            do {
                try await client.deleteDevice(one.handle)
                XCTFail("solo went with the batch deletion (\(thread))")
            } catch let error as NetlinkError {
                XCTAssertEqual(error.errno, ENOENT)
            }
        }
        XCTAssertEqual(seen[0], seen[1])
    }

    /// The client's methods run where they are called
    /// (`nonisolated(nonsending)`): with `caller`, a request made on an
    /// actor is made on it, and nothing is scheduled there again when it
    /// returns; with `dedicated`, the caller is suspended and resumed on
    /// the actor (at most once a request: a reply that comes before the
    /// task has suspended lets it go on without).
    func testARequestLeavesItsCallersActorOnlyOnADedicatedThread() async throws {
        let model = try ModelProcess.start(arguments: ["--no-sysfs", "--no-device-nodes"])
        defer { model.stop() }
        // Nine requests: two creates, two reads, two dumps, a change, two deletes.
        for (thread, resumes) in [(RequestThread.caller, 0...0), (.dedicated, 1...9)] {
            let client = try await SubdevClient.connect(port: model.port, requestThread: thread)
            let mtty = self.mtty
            let scheduled = try await Requester().scheduled { _ in
                let made = try await client.createDevice(parent: mtty, type: "mtty-1")
                _ = try await client.device(made.handle)
                _ = try await client.parent(mtty)
                _ = try await client.devices(of: mtty)
                _ = try await client.createDevices([NewDevice(parent: mtty, type: "mtty-1")])
                try await client.setDevice(made.handle, adminState: .down)
                for device in try await client.devices(of: mtty) { try await client.deleteDevice(device.handle) }
            }
            XCTAssertTrue(resumes.contains(scheduled), "\(thread): \(scheduled) jobs scheduled on the caller's actor during nine requests")
        }
    }

    /// The VMM SDK's and the definitions' entry points are
    /// `nonisolated(nonsending)` too: a VMM on its main actor starts a
    /// defined subdevice and holds it without leaving the actor.
    func testStartingAndHoldingASubdeviceStaysOnTheCallersActor() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let definition = DeviceDefinition(name: "defined", parent: "virtual/mtty", type: "mtty-1")
        let scheduled = try await Requester().scheduled { _ in
            let started = try await Autostarter.start(definition, with: client)
            let held = try await HeldDevice.open(started.handle, client: client)
            held.release()
        }
        XCTAssertEqual(scheduled, 0, "jobs scheduled on the caller's actor while starting and holding a subdevice")
    }
}

/// An actor on an executor that counts the jobs scheduled on it: each time
/// a task comes back to the actor after an `await` that left it.
private actor Requester {
    private final class CountingExecutor: SerialExecutor {
        let queue = DispatchQueue(label: "requester")
        let count = Atomic<Int>(0)
        func enqueue(_ job: consuming ExecutorJob) {
            count.add(1, ordering: .relaxed)
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
        }
    }
    private let executor = CountingExecutor()
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// How many jobs were scheduled on the actor while `body` ran on it.
    func scheduled(_ body: @Sendable (isolated Requester) async throws -> Void) async rethrows -> Int {
        let before = executor.count.load(ordering: .relaxed)
        try await body(self)
        return executor.count.load(ordering: .relaxed) - before
    }
}
