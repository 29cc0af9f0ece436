import Foundation
import XCTest
import Netlink
import Subdev
@testable import SubdevModel
import SubdevUAPI

/// Pipelined requests through the real socket: many in flight, each
/// answered on its own, in request order, failures beside successes.
final class BatchTests: XCTestCase {
    let mtty = ParentHandle(bus: "virtual", name: "mtty")

    func testABatchCreatesWhatFitsAndReportsEachFailureInPlace() async throws {
        var setup = try await SubscribedModel.start([])
        defer { setup.model.stop() }
        // The default mtty card has 24 ports: 20 mtty-1 and two mtty-2 fill
        // them, and a third mtty-2 does not fit.
        var batch = (0..<20).map { NewDevice(parent: mtty, type: "mtty-1", name: "port\($0)") }
        batch.insert(NewDevice(parent: mtty, type: "no-such-type"), at: 5)
        batch.insert(NewDevice(parent: mtty, type: "mtty-1", name: "port3"), at: 10)
        batch += [NewDevice(parent: mtty, type: "mtty-2"), NewDevice(parent: mtty, type: "mtty-2"), NewDevice(parent: mtty, type: "mtty-2")]
        let outcomes = try await setup.client.createDevices(batch, window: 8)
        XCTAssertEqual(outcomes.count, batch.count)

        func failure(_ position: Int) -> NetlinkError? {
            if case .failure(let error) = outcomes[position] { return error }
            return nil
        }
        XCTAssertEqual(failure(5)?.errno, ENOENT)
        XCTAssertEqual(failure(5)?.message, "parent virtual/mtty has no type no-such-type")
        XCTAssertEqual(failure(10)?.errno, EEXIST)
        XCTAssertEqual(failure(10)?.message, "a subdevice named port3 already exists")
        XCTAssertEqual(failure(24)?.errno, ENOSPC, "the third mtty-2 finds no ports left")
        let created = outcomes.compactMap { try? $0.get() }
        XCTAssertEqual(created.count, 22, "20 mtty-1 and two mtty-2 fill 24 ports")
        XCTAssertEqual(created.prefix(20).map(\.name), (0..<20).map { "port\($0)" }, "results come back in request order")
        XCTAssertEqual(created.map(\.index), Array(0..<22))

        let listed = try await setup.client.devices()
        XCTAssertEqual(listed.map(\.handle), created.map(\.handle), "the dump finds exactly the successes")
        for device in created {
            guard case .created(let notified)? = try await nextMessage(&setup.config) else {
                return XCTFail("expected dev-new-ntf for \(device.handle)")
            }
            XCTAssertEqual(notified.handle, device.handle, "one notification per success, in order")
        }

        let deletions = try await setup.client.deleteDevices(created.map(\.handle) + [.index(mtty, 99)])
        XCTAssertEqual(deletions.filter { (try? $0.get()) != nil }.count, 22)
        if case .failure(let error) = deletions[22] {
            XCTAssertEqual(error.errno, ENOENT)
        } else {
            XCTFail("deleting a subdevice that does not exist must fail")
        }
        let left = try await setup.client.devices()
        XCTAssertEqual(left.count, 0)
        let ports = try await setup.client.parent(mtty).counters.first { $0.name == "ports" }?.reserved
        XCTAssertEqual(ports, 0, "every port came back")
    }

    /// A datagram of many requests first asks who listens, and makes no
    /// notifications for a group nobody has joined, as a kernel family
    /// checks `genl_has_listeners()`. A subscriber that joins after such a
    /// batch hears every change of the next, in order: nothing of the
    /// first answer is kept.
    func testASubscriberThatJoinsAfterAnUnheardBatchHearsTheNextInFull() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // An earlier test's subscription closes its socket within a moment.
        let config = try XCTUnwrap(client.family.multicastGroups[SubdevMulticastGroup.config.rawValue])
        let listeners = GroupListeners()
        let deadline = Date().addingTimeInterval(3)
        while listeners.heard(among: [config])?.isEmpty == false, Date() < deadline { usleep(20_000) }
        guard listeners.heard(among: [config])?.isEmpty == true else {
            throw XCTSkip("group \(config) has a listener on this machine, or its kernel cannot say: the first batch would be heard")
        }
        let first = try await client.createDevices((0..<12).map { NewDevice(parent: mtty, type: "mtty-1", name: "first\($0)") })
        let handles = try first.map { try $0.get().handle }
        let notifications = try client.configNotifications()
        defer { notifications.cancel() }
        var received = notifications.makeAsyncIterator()
        for outcome in try await client.deleteDevices(handles) { try outcome.get() }
        let second = try await client.createDevices((0..<12).map { NewDevice(parent: mtty, type: "mtty-1", name: "second\($0)") })
        var heard: [String] = []
        for _ in 0..<24 {
            switch try await nextMessage(&received) {
            case .deleted(let device)?: heard.append("deleted \(device.name ?? "")")
            case .created(let device)?: heard.append("created \(device.name ?? "")")
            case let other: return XCTFail("expected dev-del-ntf or dev-new-ntf, got \(String(describing: other))")
            }
        }
        XCTAssertEqual(heard, (0..<12).map { "deleted first\($0)" } + (0..<12).map { "created second\($0)" })
        XCTAssertEqual(try second.map { try $0.get().name }, (0..<12).map { "second\($0)" })
    }

    func testWithoutTheSysfsMirrorNodesStillAppearAndSysIsAbsent() async throws {
        let model = try ModelProcess.start(arguments: ["--no-sysfs"])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let device = try await client.createDevice(parent: mtty, type: "mtty-1")
        var status = stat()
        XCTAssertEqual(lstat(try XCTUnwrap(device.vfio?.devNode), &status), 0, "the device node exists")
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model.root + "/sys"), "no sysfs mirror was asked for")
    }
}
