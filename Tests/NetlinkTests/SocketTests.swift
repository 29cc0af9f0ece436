import XCTest
import Foundation
import Netlink

final class SocketTests: XCTestCase {
    func testDatagramLargerThan32KiBArrivesWhole() throws {
        let receiver = try NetlinkSocket(protocol: .userSock)
        try receiver.setBufferSizes(receive: 1 << 20, send: 1 << 20)
        let sender = try NetlinkSocket(protocol: .userSock)
        try sender.setBufferSizes(receive: 1 << 20, send: 1 << 20)
        var attributes = AttributeEncoder()
        let blob = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        for chunk in stride(from: 0, to: blob.count, by: 60_000) {
            attributes.put(1, bytes: Array(blob[chunk..<min(chunk + 60_000, blob.count)]))
        }
        let message = NetlinkMessage(header: MessageHeader(type: 0x20, flags: .request, sequence: 9),
                                     payload: attributes.bytes)
        try sender.send(message.encoded(), toPort: receiver.localPort)
        let datagram = try receiver.receive()
        XCTAssertGreaterThan(datagram.bytes.count, 32 * 1024)
        let parsed = try NetlinkMessage.parse(datagram.bytes)
        XCTAssertEqual(parsed, [message.with(length: parsed.first?.header.length ?? 0)])
        XCTAssertEqual(datagram.senderPort, sender.localPort)
        let received = try AttributeDecoder(parsed[0].payload).all(UInt16(1)).flatMap(\.payload)
        XCTAssertEqual(received, blob)
    }

    func testReceiveIfQueuedTakesWhatWaitsAndDoesNotBlock() throws {
        let receiver = try NetlinkSocket(protocol: .userSock)
        try receiver.setReceiveTimeout(nil)  // a blocking read would hang the test
        XCTAssertNil(try receiver.receiveIfQueued())
        let sender = try NetlinkSocket(protocol: .userSock)
        let small = NetlinkMessage(header: MessageHeader(type: 0x20, flags: .request, sequence: 1), payload: [1, 2, 3, 4])
        let large = NetlinkMessage(header: MessageHeader(type: 0x20, flags: .request, sequence: 2),
                                   payload: (0..<20_000).map { UInt8(truncatingIfNeeded: $0) })
        try sender.send(small.encoded(), toPort: receiver.localPort)
        try sender.send(large.encoded(), toPort: receiver.localPort)
        let first = try XCTUnwrap(try receiver.receiveIfQueued())
        let second = try XCTUnwrap(try receiver.receiveIfQueued(), "a datagram larger than the buffer so far is read whole")
        XCTAssertEqual(try NetlinkMessage.parse(first.bytes).map(\.header.sequence), [1])
        XCTAssertEqual(try NetlinkMessage.parse(second.bytes).first?.payload, large.payload)
        XCTAssertEqual(second.senderPort, sender.localPort)
        XCTAssertNil(try receiver.receiveIfQueued())
    }

    func testDatagramsSentInOneCallArriveOneByOneInOrder() throws {
        let receiver = try NetlinkSocket(protocol: .userSock)
        let sender = try NetlinkSocket(protocol: .userSock)
        let messages = (1...20).map { NetlinkMessage(header: MessageHeader(type: 0x20, flags: .request, sequence: UInt32($0)),
                                                     payload: [UInt8](repeating: UInt8($0), count: 4 * $0)) }
        XCTAssertEqual(try sender.send(messages.map { $0.encoded() }, toPort: receiver.localPort), 20)
        for message in messages {
            let datagram = try receiver.receive()
            XCTAssertEqual(try NetlinkMessage.parse(datagram.bytes).map(\.payload), [message.payload], "one message per datagram")
            XCTAssertEqual(datagram.senderPort, sender.localPort)
        }
        XCTAssertNil(try receiver.receiveIfQueued())
        XCTAssertThrowsError(try sender.send([[1, 2, 3, 4], [5, 6, 7, 8]], toPort: 0x7FFF_FFF0)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ECONNREFUSED, "nothing is bound there")
        }
    }

    /// On NETLINK_GENERIC, as the model publishes: there a datagram to a
    /// group also goes to the kernel (port 0), which drops a message that
    /// is not a request. (On NETLINK_USERSOCK no socket holds port 0, and
    /// the send fails with ECONNREFUSED after broadcasting.)
    func testDatagramsToPortsAndGroupsLeaveInOneCallInOrder() throws {
        // A group no kernel family uses, as the model picks its own.
        let used = Set(try NetlinkConnection(protocol: .generic).families().flatMap { $0.multicastGroups.values })
        let group = try XCTUnwrap((1...UInt32(32)).reversed().first { !used.contains($0) }, "every group id is a kernel family's")
        let receiver = try NetlinkSocket(protocol: .generic)
        try receiver.join(group: group)
        let listener = try NetlinkSocket(protocol: .generic)
        try listener.join(group: group)
        let sender = try NetlinkSocket(protocol: .generic)
        let message = { (sequence: UInt32) in NetlinkMessage(header: MessageHeader(type: 0x20, flags: [], sequence: sequence), payload: [UInt8]()).encoded() }
        let outgoing = try [
            OutgoingDatagram(message(1), toGroup: group),
            OutgoingDatagram(message(2), toPort: receiver.localPort),
            OutgoingDatagram(message(3), toGroup: group),
        ]
        XCTAssertEqual(try sender.send(outgoing[...]), 3)
        // The member the unicast is addressed to gets all three, in order.
        var got: [(UInt32, UInt32)] = []
        for _ in 0..<3 {
            let datagram = try receiver.receive()
            got.append((try NetlinkMessage.parse(datagram.bytes).first?.header.sequence ?? 0, datagram.groups))
        }
        XCTAssertEqual(got.map(\.0), [1, 2, 3])
        XCTAssertEqual(got.map(\.1), [1 << (group - 1), 0, 1 << (group - 1)], "the group's bit, or 0 for the unicast")
        XCTAssertEqual(try NetlinkMessage.parse(try listener.receive().bytes).first?.header.sequence, 1)
        XCTAssertEqual(try NetlinkMessage.parse(try listener.receive().bytes).first?.header.sequence, 3)
        XCTAssertNil(try listener.receiveIfQueued(), "the other member gets the group's only")
        XCTAssertThrowsError(try OutgoingDatagram([], toGroup: 33)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EINVAL)
        }
    }

    /// As the model answers a datagram of requests: messages written into
    /// one batch where they leave from, sent from any datagram on, and what
    /// is left after a failure kept without the failed requester's.
    func testABatchSendsFromWhereItsDatagramsLie() throws {
        let receiver = try NetlinkSocket(protocol: .userSock)
        let other = try NetlinkSocket(protocol: .userSock)
        let sender = try NetlinkSocket(protocol: .userSock)
        var batch = OutgoingBatch()
        for (sequence, port) in [(1, receiver.localPort), (2, receiver.localPort), (3, other.localPort), (4, receiver.localPort)] {
            batch.append(toPort: port) { buffer in
                GenericMessage.write(MessageHeader(type: 0x20, flags: [], sequence: UInt32(sequence)), command: 7, version: 1,
                                     attributes: [4, 0, 1, 0][...], to: &buffer)
            }
        }
        batch.append(toPort: receiver.localPort) {
            ExtendedAck.write(error: NetlinkError(errno: EINVAL, message: "bad"), for: MessageHeader(type: 0x20, flags: .request, sequence: 5), to: &$0)
        }
        XCTAssertEqual(batch.count, 5)
        // Each datagram reads back as the message written alone would.
        XCTAssertEqual(batch.datagrams[1].bytes,
                       GenericMessage(family: 0x20, command: 7, version: 1, sequence: 2, attributes: [4, 0, 1, 0]).encoded())
        XCTAssertEqual(batch.datagrams[4].bytes,
                       ExtendedAck.encoded(error: NetlinkError(errno: EINVAL, message: "bad"), for: MessageHeader(type: 0x20, flags: .request, sequence: 5)))
        XCTAssertEqual(batch.datagrams[2].port, other.localPort)

        XCTAssertEqual(try sender.send(batch, from: 1), 4)
        let sequences = try (0..<3).map { _ in try NetlinkMessage.parse(try receiver.receive().bytes).first?.header.sequence }
        XCTAssertEqual(sequences, [2, 4, 5], "from the second on, each to its own port")
        XCTAssertEqual(try NetlinkMessage.parse(try other.receive().bytes).first?.header.sequence, 3)
        XCTAssertNil(try receiver.receiveIfQueued())
        XCTAssertEqual(try sender.send(batch, from: 5), 0, "nothing from past the end")

        let rest = batch.remaining(from: 1) { port, _ in port != other.localPort }
        XCTAssertEqual(rest.count, 3)
        XCTAssertEqual(rest.datagrams.map(\.bytes), [1, 3, 4].map { batch.datagrams[$0].bytes })
        batch.removeAll()
        XCTAssertTrue(batch.isEmpty)
        XCTAssertThrowsError(try batch.append(toGroup: 0) { $0.append(UInt32(1)) }) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EINVAL)
        }
        XCTAssertEqual(batch.buffer.count, 0, "a refused group writes nothing")
    }

    func testCredentialsIdentifyTheSender() throws {
        let receiver = try NetlinkSocket(protocol: .userSock)
        try receiver.enableCredentials()
        let sender = try NetlinkSocket(protocol: .userSock)
        try sender.send(NetlinkMessage(header: MessageHeader(type: 0x20, flags: .request), payload: []).encoded(),
                        toPort: receiver.localPort)
        let datagram = try receiver.receive()
        XCTAssertEqual(datagram.credentials?.pid, getpid())
        XCTAssertEqual(datagram.credentials?.uid, getuid())
    }

    func testBindingATakenPortIsEADDRINUSE() throws {
        let first = try NetlinkSocket(protocol: .userSock)
        XCTAssertThrowsError(try NetlinkSocket(protocol: .userSock, localPort: first.localPort)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EADDRINUSE)
        }
    }

    /// One read per datagram: a datagram longer than the room arrives cut,
    /// says how long it was, and the room grows so the next is whole.
    func testADatagramLongerThanTheRoomArrivesCutAndTheNextIsWhole() throws {
        let receiver = try NetlinkSocket(protocol: .userSock, receiveRoom: 4096)
        XCTAssertEqual(receiver.receiveRoom, 4096)
        let sender = try NetlinkSocket(protocol: .userSock)
        let long = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        try sender.send(long, toPort: receiver.localPort)
        try sender.send(long, toPort: receiver.localPort)
        let cut = try receiver.receive()
        XCTAssertTrue(cut.isCut)
        XCTAssertEqual(cut.length, 10_000)
        XCTAssertEqual(cut.bytes, Array(long.prefix(4096)), "the start, as sent")
        XCTAssertEqual(receiver.receiveRoom, 10_000)
        let whole = try receiver.receive()
        XCTAssertFalse(whole.isCut)
        XCTAssertEqual(whole.bytes, long)
        XCTAssertEqual(whole.length, 10_000)
    }

    /// The room a server takes for a request: the longest datagram a
    /// sender without `SO_SNDBUFFORCE` can make, which the kernel lets
    /// through and not a byte more.
    func testTheLargestUnforcedDatagramIsWhatTheKernelLetsASenderSend() throws {
        let room = NetlinkSocket.largestUnforcedDatagram()
        let receiver = try NetlinkSocket(protocol: .userSock, receiveRoom: room)
        let sender = try NetlinkSocket(protocol: .userSock)
        // Asks for more than wmem_max: the kernel grants twice wmem_max.
        try sender.setBufferSizes(receive: 32768, send: Int32.max / 2)
        let longest = [UInt8](repeating: 7, count: room)
        try sender.send(longest, toPort: receiver.localPort)
        let datagram = try receiver.receive()
        XCTAssertFalse(datagram.isCut)
        XCTAssertEqual(datagram.bytes.count, room)
        XCTAssertThrowsError(try sender.send(longest + [7], toPort: receiver.localPort)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EMSGSIZE, "one byte more is refused at the sender")
        }
    }

    func testTheLargestUnforcedDatagramIsTwiceWmemMaxAndNeverBelowTheDefault() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wmem_max-\(getpid())").path
        defer { unlink(file) }
        try "300000\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(NetlinkSocket.largestUnforcedDatagram(wmemMaxFile: file), 599_968)
        try "4096\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(NetlinkSocket.largestUnforcedDatagram(wmemMaxFile: file), NetlinkSocket.defaultReceiveRoom)
        try "many\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(NetlinkSocket.largestUnforcedDatagram(wmemMaxFile: file), NetlinkSocket.defaultReceiveRoom)
        XCTAssertEqual(NetlinkSocket.largestUnforcedDatagram(wmemMaxFile: file + ".absent"), NetlinkSocket.defaultReceiveRoom)
    }

    func testReceiveTimeoutIsEAGAIN() throws {
        let socket = try NetlinkSocket(protocol: .userSock)
        try socket.setReceiveTimeout(0.05)
        XCTAssertThrowsError(try socket.receive()) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EAGAIN)
        }
    }
}

extension NetlinkMessage {
    func with(length: UInt32) -> NetlinkMessage {
        var copy = self
        copy.header.length = length
        return copy
    }
}
