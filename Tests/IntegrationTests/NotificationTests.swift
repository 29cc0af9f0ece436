import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// One `config` notification per change, received by a subscriber over a
/// real multicast group; failed and no-op requests announce nothing.
final class NotificationTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")

    func testOneNotificationPerChangeInOrder() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let notifications = try client.configNotifications()
        defer { notifications.cancel() }
        var received = notifications.makeAsyncIterator()

        let created = try await client.createDevice(parent: dsa, type: "dwq", name: "vm0")
        await XCTAssertThrowsErrno(EINVAL, try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(300))]))
        try await client.setDevice(.name("vm0"), params: [("priority", .int(4))])
        let changed = try await client.device(.name("vm0"))
        try await client.setDevice(.name("vm0"), params: [("priority", .int(4))])  // no change, no notification
        try await client.deleteDevice(.name("vm0"))
        let sentinel = try await client.createDevice(parent: dsa, type: "dwq", name: "sentinel")

        // The sentinel arriving fourth proves nothing came in between.
        let first = try await next(&received)
        XCTAssertEqual(first, .created(created))
        let second = try await next(&received)
        XCTAssertEqual(second, .changed(changed))
        let third = try await next(&received)
        XCTAssertEqual(third, .deleted(changed), "a deletion carries the last state")
        let fourth = try await next(&received)
        XCTAssertEqual(fourth, .created(sentinel))
    }

    func testEverySubscriberReceivesAndAnotherModelIsNotHeard() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let other = try ModelProcess.start()
        defer { other.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let otherClient = try await SubdevClient.connect(port: other.port)
        let n1 = try client.configNotifications()
        let n2 = try client.configNotifications()
        defer { n1.cancel(); n2.cancel() }
        var i1 = n1.makeAsyncIterator(), i2 = n2.makeAsyncIterator()
        // The other model broadcasts on the same group ids; subscribers
        // listen to their own model's port only.
        _ = try await otherClient.createDevice(parent: dsa, type: "dwq", name: "elsewhere")
        let mine = try await client.createDevice(parent: dsa, type: "dwq", name: "here")
        let a = try await next(&i1)
        let b = try await next(&i2)
        XCTAssertEqual(a, .created(mine))
        XCTAssertEqual(b, .created(mine))
    }

    func testOverrunIsReportedSoTheSubscriberCanResynchronise() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // Room for 4 unread notifications while 40 pour in.
        let notifications = try client.configNotifications(bufferLimit: 4)
        defer { notifications.cancel() }
        for _ in 0..<20 {
            let device = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(1))])
            try await client.deleteDevice(device.handle)
        }
        var sawOverrun = false
        var count = 0
        var iterator = notifications.makeAsyncIterator()
        while count < 40, let event = try await next(&iterator, timeout: 1) {
            if event == .overrun { sawOverrun = true; break }
            count += 1
        }
        XCTAssertTrue(sawOverrun, "40 notifications into room for 4 must overrun; got \(count) without one")
        XCTAssertEqual(count, 4, "the 4 that fitted arrive first, then the overrun")
        let devices = try await client.devices()
        XCTAssertEqual(devices, [], "a dump resynchronises the subscriber")
    }

    /// The next notification, or a failure after `timeout` seconds.
    func next(_ iterator: inout ConfigNotifications.Iterator,
              file: StaticString = #filePath, line: UInt = #line) async throws -> ConfigNotification? {
        let value = try await next(&iterator, timeout: 5)
        if value == nil { XCTFail("no notification within 5 s", file: file, line: line) }
        return value
    }

    func next(_ iterator: inout ConfigNotifications.Iterator,
              timeout: Double) async throws -> ConfigNotification? {
        try await nextMessage(&iterator, timeout: timeout)
    }
}
