import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// One `config` notification per change, received by a subscriber over a
/// real multicast group; failed and no-op requests announce nothing.
final class NotificationTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")

    /// A fresh model, a client of it and the client's subscription to `config`.
    func subscribedModel() async throws -> (ModelProcess, SubdevClient, ConfigNotifications) {
        let model = try ModelProcess.start()
        do {
            let client = try await SubdevClient.connect(port: model.port)
            return (model, client, try client.configNotifications())
        } catch {
            model.stop()
            throw error
        }
    }

    func testOneNotificationPerChangeInOrder() async throws {
        let (model, client, notifications) = try await subscribedModel()
        defer { notifications.cancel(); model.stop() }
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

    /// The model sends a datagram's answers and notifications in one call;
    /// a requester whose buffer is full loses its answers after a moment's
    /// wait, as with the kernel, but subscribers still hear every change.
    func testARequesterThatDoesNotReadLosesItsAnswersNotTheSubscribersNotifications() async throws {
        let (model, client, notifications) = try await subscribedModel()
        defer { notifications.cancel(); model.stop() }
        var received = notifications.makeAsyncIterator()
        let familyID = client.family.id
        // The smallest receive buffer the kernel grants holds a reply or
        // two: the rest of the ten find it full.
        let stalled = try NetlinkSocket(protocol: .generic)
        try stalled.setBufferSizes(receive: 1, send: 0)
        var datagram: [UInt8] = []
        for sequence in 1...10 {
            var attributes = AttributeEncoder()
            attributes.put(SubdevDevAttr.busName, "virtual")
            attributes.put(SubdevDevAttr.devName, "mtty")
            attributes.put(SubdevDevAttr.type, "mtty-1")
            var message = GenericMessage(family: familyID, command: SubdevCommand.devNew.rawValue, version: 1,
                                         attributes: attributes.bytes).netlinkMessage
            message.header.flags = [.request, .ack]
            message.header.sequence = UInt32(sequence)
            message.header.port = stalled.localPort
            datagram += message.encoded()
        }
        try stalled.send(datagram, toPort: model.port)
        var created: [UInt32] = []
        for _ in 0..<10 {
            guard case .created(let device)? = try await next(&received) else { return XCTFail("expected dev-new-ntf") }
            created.append(device.index)
        }
        XCTAssertEqual(created, Array(0..<10), "every change announced, in order")
        let queued = stalled.discardQueued()
        XCTAssertLessThan(queued, 20, "not all ten replies and acks fitted")
        let devices = try await client.devices()
        XCTAssertEqual(devices.count, 10, "and the model went on")
    }

    func testFullBufferIsReportedAndTheClientResynchronises() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // Room for 4 unread notifications while 40 pour in; the socket
        // itself has room for all of them.
        let notifications = try client.configNotifications(receiveBuffer: 1 << 20, bufferLimit: 4)
        defer { notifications.cancel() }
        for _ in 0..<20 {
            let device = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(1))])
            try await client.deleteDevice(device.handle)
        }
        var iterator = notifications.makeAsyncIterator()
        // Reading has started: give the reader the time to take all 40 from
        // the socket, so that 36 find the buffer full whatever the pace of
        // the decoding below (a fast consumer could otherwise keep up).
        try await Task.sleep(nanoseconds: 500_000_000)
        var count = 0
        var state: Resynchronisation?
        while count < 40, let event = try await next(&iterator, timeout: 5) {
            if case .resynchronised(let dumped) = event { state = dumped; break }
            count += 1
        }
        // The 4 that fitted arrive first (one more when the consumer made
        // room early), then the resynchronisation; never all 40.
        XCTAssertTrue((4...8).contains(count), "\(count) notifications before the resynchronisation")
        XCTAssertEqual(state?.devices, [], "the client dumped the state after the loss")
        let parents = try await client.parents()
        XCTAssertEqual(state?.parents, parents)
        try await assertSubscriptionGoesOn(&iterator, client: client)
    }

    func testSocketOverrunWithASmallReceiveBufferIsToldAndResynchronised() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // Reading starts with iteration: until then notifications wait in
        // a receive buffer of a few KiB, which 40 of them overrun (ENOBUFS).
        let notifications = try client.configNotifications(receiveBuffer: 4096)
        defer { notifications.cancel() }
        var kept: [DeviceHandle] = []
        for round in 0..<20 {
            let device = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(1))])
            if round % 5 == 0 { kept.append(device.handle) } else { try await client.deleteDevice(device.handle) }
        }
        var iterator = notifications.makeAsyncIterator()
        guard case .resynchronised(let state)? = try await next(&iterator) else {
            return XCTFail("an overrun socket must be reported first, before what is queued in it")
        }
        XCTAssertEqual(state.devices.map(\.handle), kept, "the dump finds exactly the subdevices that stayed")
        let devices = try await client.devices()
        XCTAssertEqual(state.devices, devices)
        try await assertSubscriptionGoesOn(&iterator, client: client)
    }

    /// After a resynchronisation, a later change arrives as usual (after
    /// whatever the loss left queued, which the state already shows).
    func assertSubscriptionGoesOn(_ iterator: inout ConfigNotifications.Iterator, client: SubdevClient,
                                  file: StaticString = #filePath, line: UInt = #line) async throws {
        let later = try await client.createDevice(parent: dsa, type: "dwq", name: "after-resync", params: [("wq-size", .int(1))])
        while let notification = try await next(&iterator, timeout: 5) {
            if case .created(let created) = notification, created.name == "after-resync" {
                XCTAssertEqual(created, later, file: file, line: line)
                return
            }
        }
        XCTFail("no notification of the later change", file: file, line: line)
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
