import Foundation
import XCTest
import Netlink
import Subdev

/// Both places a client may make its socket calls give the same answers
/// from `subdevd`: single requests, errors, batches and dumps.
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
}
