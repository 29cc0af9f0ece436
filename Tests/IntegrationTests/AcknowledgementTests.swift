import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// The model acknowledges a request as the kernel's `netlink_rcv_skb` does:
/// with an ACK only when `NLM_F_ACK` asks for one, and with an error
/// message always. The client leaves `NLM_F_ACK` clear for ops that
/// always reply, and takes the reply as the end of the answer.
final class AcknowledgementTests: XCTestCase {
    var model: ModelProcess!
    var socket: NetlinkSocket!
    var familyID: UInt16 = 0
    let parent = ParentHandle(bus: "virtual", name: "mtty")

    override func setUp() async throws {
        model = try ModelProcess.start()
        familyID = try NetlinkConnection(protocol: .generic, peerPort: model.port).resolveFamily("subdev").id
        socket = try NetlinkSocket(protocol: .generic)
        try socket.enableExtendedAcks()
    }

    override func tearDown() {
        model.stop()
        // XCTest keeps each test's case until the run ends: a socket left
        // open here would stay in `config` for every later test.
        socket = nil
    }

    /// Sends one request for `command` with `flags` and returns every
    /// message the model answered with, waiting `quiet` seconds for more.
    func answer(_ command: SubdevCommand, flags: MessageFlags, quiet: Double = 0.3,
                _ build: (inout AttributeEncoder) -> Void) throws -> [[NetlinkMessage]] {
        var attributes = AttributeEncoder()
        build(&attributes)
        var message = GenericMessage(family: familyID, command: command.rawValue, version: 1, attributes: attributes.bytes).netlinkMessage
        message.header.flags = flags
        message.header.sequence = 7
        message.header.port = socket.localPort
        try socket.send(message.encoded(), toPort: model.port)
        var datagrams: [[NetlinkMessage]] = []
        try socket.setReceiveTimeout(5)
        datagrams.append(try NetlinkMessage.parse(try socket.receive().bytes))
        try socket.setReceiveTimeout(quiet)
        while let datagram = try? socket.receive() { datagrams.append(try NetlinkMessage.parse(datagram.bytes)) }
        return datagrams
    }

    func putNew(_ a: inout AttributeEncoder, type: String) {
        a.put(SubdevDevAttr.busName, parent.bus)
        a.put(SubdevDevAttr.devName, parent.name)
        a.put(SubdevDevAttr.type, type)
    }

    /// One datagram of `dev-new` requests without `NLM_F_ACK`, one per
    /// type, sequence numbers from 1.
    func devNewDatagram(types: [String]) -> [UInt8] {
        var datagram: [UInt8] = []
        for (offset, type) in types.enumerated() {
            var attributes = AttributeEncoder()
            putNew(&attributes, type: type)
            var message = GenericMessage(family: familyID, command: SubdevCommand.devNew.rawValue, version: 1,
                                         attributes: attributes.bytes).netlinkMessage
            message.header.flags = [.request]
            message.header.sequence = UInt32(offset + 1)
            message.header.port = socket.localPort
            datagram += message.encoded()
        }
        return datagram
    }

    func testAReplyWithoutAckAskedIsTheWholeAnswer() throws {
        let datagrams = try answer(.devNew, flags: [.request]) { putNew(&$0, type: "mtty-1") }
        XCTAssertEqual(datagrams.count, 1, "one datagram: the reply, no ACK after it")
        XCTAssertEqual(datagrams.first?.map(\.header.type), [familyID])
        XCTAssertEqual(datagrams.first?.first?.header.sequence, 7)
    }

    func testAReplyWithAckAskedIsFollowedByTheAck() throws {
        let datagrams = try answer(.devNew, flags: [.request, .ack]) { putNew(&$0, type: "mtty-1") }
        XCTAssertEqual(datagrams.flatMap { $0 }.map(\.header.type), [familyID, MessageType.error])
        let ack = try XCTUnwrap(datagrams.last?.last)
        XCTAssertNil(try ExtendedAck.decode(ack), "an ACK, errno 0")
    }

    func testAFailureIsReportedThoughNoAckWasAsked() throws {
        let datagrams = try answer(.devNew, flags: [.request]) { putNew(&$0, type: "no-such-type") }
        XCTAssertEqual(datagrams.count, 1)
        let message = try XCTUnwrap(datagrams.first?.first)
        XCTAssertEqual(message.header.type, MessageType.error)
        let error = try XCTUnwrap(try ExtendedAck.decode(message))
        XCTAssertEqual(error.errno, ENOENT)
        XCTAssertTrue(error.message?.contains("no-such-type") ?? false, "\(error)")
    }

    func testASuccessWithoutReplyOrAckSendsNothing() async throws {
        let client = try await SubdevClient.connect(port: model.port)
        let device = try await client.createDevice(parent: parent, type: "mtty-1")
        XCTAssertThrowsError(try answer(.devDel, flags: [.request], quiet: 0.5) { a in
            a.put(SubdevDevAttr.busName, parent.bus)
            a.put(SubdevDevAttr.devName, parent.name)
            a.put(SubdevDevAttr.index, device.index)
        }, "no datagram at all") { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EAGAIN)
        }
        let left = try await client.devices()
        XCTAssertFalse(left.contains { $0.handle == device.handle }, "deleted all the same")
    }

    /// A request datagram longer than the model reads at once, which only
    /// `SO_SNDBUFFORCE` (CAP_NET_ADMIN) can make: the request whole
    /// before the cut is served, the cut one refused with EMSGSIZE and an
    /// extack naming both lengths; the model then reads one as long whole.
    func testARequestDatagramLongerThanTheModelReadsIsRefusedAtTheCut() throws {
        let room = NetlinkSocket.largestUnforcedDatagram()
        var force = Int32(4 * room)
        guard setsockopt(socket.fileDescriptor, SOL_SOCKET, SO_SNDBUFFORCE, &force, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw XCTSkip("SO_SNDBUFFORCE needs CAP_NET_ADMIN, which this test runs without: \(String(cString: strerror(errno)))")
        }
        var datagram = devNewDatagram(types: ["mtty-1"])
        var attributes = AttributeEncoder()
        putNew(&attributes, type: "mtty-1")
        // A message running past the room, wherever it is cut.
        attributes.put(SubdevDevAttr.name, String(repeating: "n", count: room))
        var long = GenericMessage(family: familyID, command: SubdevCommand.devNew.rawValue, version: 1, attributes: attributes.bytes).netlinkMessage
        long.header.flags = [.request]
        long.header.sequence = 2
        long.header.port = socket.localPort
        datagram += long.encoded()
        try socket.setReceiveTimeout(5)
        func answers() throws -> [UInt32: NetlinkMessage] {
            try socket.send(datagram, toPort: model.port)
            var answered: [UInt32: NetlinkMessage] = [:]
            while answered.count < 2 {
                for message in try NetlinkMessage.parse(try socket.receive().bytes) { answered[message.header.sequence] = message }
            }
            return answered
        }
        let first = try answers()
        XCTAssertEqual(first[1]?.header.type, familyID, "the request before the cut is served")
        let refused = try XCTUnwrap(try ExtendedAck.decode(try XCTUnwrap(first[2])))
        XCTAssertEqual(refused.errno, EMSGSIZE)
        XCTAssertTrue(refused.message?.contains("was \(datagram.count) bytes, more than the \(room) the model reads at once") == true, "\(refused)")
        let second = try answers()
        XCTAssertEqual(second[1]?.header.type, familyID)
        let whole = try ExtendedAck.decode(try XCTUnwrap(second[2]))
        XCTAssertNotEqual(whole?.errno, EMSGSIZE, "read whole now, and judged on its attributes: \(String(describing: whole))")
    }

    /// The kernel runs a datagram's requests one after another, each
    /// sending its notification, then its answer: a requester that listens
    /// to `config` on the same socket sees them interleaved so, though the
    /// model sends them all in one call.
    func testEachRequestsNotificationPrecedesItsAnswerRequestByRequest() async throws {
        let client = try await SubdevClient.connect(port: model.port)
        let config = try XCTUnwrap(client.family.multicastGroups[SubdevMulticastGroup.config.rawValue])
        try socket.join(group: config)
        try socket.send(devNewDatagram(types: ["mtty-1", "no-such-type", "mtty-1"]), toPort: model.port)
        try socket.setReceiveTimeout(5)
        var seen: [String] = []
        while seen.count < 5 {
            let received = try socket.receive()
            for message in try NetlinkMessage.parse(received.bytes) {
                let what = message.header.type == MessageType.error ? "error" : received.groups != 0 ? "ntf" : "reply"
                seen.append("\(what) \(message.header.sequence)")
            }
        }
        XCTAssertEqual(seen, ["ntf 0", "reply 1", "error 2", "ntf 0", "reply 3"])
    }

    /// A requester that does not read loses the answers its receive buffer
    /// has no room for, as with the kernel, after one wait of the model's
    /// send timeout; the group still gets every notification, and the
    /// model goes on serving.
    func testARequesterThatDoesNotReadLosesItsLaterAnswersAndTheGroupGetsAll() async throws {
        let family = try NetlinkConnection(protocol: .generic, peerPort: model.port).resolveFamily("subdev")
        let listener = try NetlinkSocket(protocol: .generic)
        try listener.join(group: try XCTUnwrap(family.multicastGroups["config"]))
        try socket.setBufferSizes(receive: 1, send: 1 << 16)  // the kernel's least: room for a few
        let count = 20
        try socket.send(devNewDatagram(types: Array(repeating: "mtty-1", count: count)), toPort: model.port)

        try listener.setReceiveTimeout(5)
        var notified = 0
        while notified < count {
            let received = try listener.receive()
            notified += try NetlinkMessage.parse(received.bytes).filter { $0.header.type == familyID }.count
        }
        XCTAssertEqual(notified, count, "every create is notified")
        try socket.setReceiveTimeout(0.5)
        var replied: [UInt32] = []
        while let received = try? socket.receive() { replied += try NetlinkMessage.parse(received.bytes).map(\.header.sequence) }
        XCTAssertFalse(replied.isEmpty, "the first answers fit")
        XCTAssertLessThan(replied.count, count, "the rest found no room and were dropped")
        XCTAssertEqual(replied, Array(1...UInt32(replied.count)), "what arrived came in order, from the first")
        let client = try await SubdevClient.connect(port: model.port)
        let devices = try await client.devices(of: parent)
        XCTAssertEqual(devices.count, count, "every request was served")
    }

    /// The client's ops that always reply end at the reply: a stray ACK
    /// would be taken for the next request's answer, which the sequence
    /// numbers rule out, and every answer below is the right one.
    func testTheClientEndsRepliedOpsAtTheirReply() async throws {
        let client = try await SubdevClient.connect(port: model.port)
        for round in 0..<20 {
            let device = try await client.createDevice(parent: parent, type: "mtty-1", name: "port-\(round)")
            let read = try await client.device(.name("port-\(round)"))
            XCTAssertEqual(read.index, device.index)
            try await client.deleteDevice(device.handle)
        }
        let outcomes = try await client.createDevices((0..<8).map { _ in NewDevice(parent: parent, type: "mtty-1") }
                                                      + [NewDevice(parent: parent, type: "no-such-type")])
        XCTAssertEqual(outcomes.prefix(8).compactMap { try? $0.get().index }.count, 8)
        guard case .failure(let error)? = outcomes.last else { return XCTFail("the last should fail") }
        XCTAssertEqual(error.errno, ENOENT)
    }
}
