import XCTest
import Netlink

final class MessageTests: XCTestCase {
    /// Messages parsed from a datagram share its bytes; each one's payload
    /// indices are the datagram's, and everything that reads a payload
    /// must count from its start, not from 0. The second message here
    /// starts 36 bytes in.
    func testMessagesLaterInADatagramReadFromTheirOwnStart() throws {
        var datagram: [UInt8] = []
        for (command, value) in [(UInt8(1), "first"), (UInt8(2), "second")] {
            var attributes = AttributeEncoder()
            attributes.put(UInt16(1), value)
            GenericMessage(family: 0x500, command: command, version: 1, sequence: UInt32(command), attributes: attributes.bytes)
                .netlinkMessage.append(to: &datagram)
        }
        let messages = try NetlinkMessage.parse(datagram)
        XCTAssertEqual(messages.map(\.header.sequence), [1, 2])
        XCTAssertGreaterThan(messages[1].payloadSlice.startIndex, 0)
        let second = try GenericMessage(messages[1])
        XCTAssertEqual(second.command, 2)
        XCTAssertEqual(second.version, 1)
        XCTAssertEqual(try GenericMessage.attributes(of: messages[1]).string(UInt16(1)), "second")
        XCTAssertEqual(try second.decoder().string(UInt16(1)), "second")
        XCTAssertEqual(try GenericMessage.attributes(of: messages[1]).first(UInt16(1))?.offset, GenericMessage.attributesOffset,
                       "offsets count from the message's own start")
        // The copying accessor starts at 0, and setting it replaces the slice.
        XCTAssertEqual(Array(messages[1].payload.prefix(2)), [2, 1])
        var edited = messages[1]
        edited.payload = [9, 1, 0, 0]
        XCTAssertEqual(try GenericMessage(edited).command, 9)
        XCTAssertEqual(messages[1], try NetlinkMessage.parse(messages[1].encoded())[0], "a message equals its own round trip")
    }

    /// An error in the second message of a datagram decodes from that
    /// message's start too.
    func testAnAckLaterInADatagramDecodes() throws {
        let request = MessageHeader(length: 20, type: 0x500, flags: [.request, .ack], sequence: 5, port: 9)
        var datagram = GenericMessage(family: 0x500, command: 1, version: 1, sequence: 5).netlinkMessage.encoded()
        ExtendedAck.encode(error: NetlinkError(errno: ENOENT, message: "no such parent", offset: 24), for: request).append(to: &datagram)
        let ack = try NetlinkMessage.parse(datagram)[1]
        let error = try XCTUnwrap(try ExtendedAck.decode(ack))
        XCTAssertEqual(error.errno, ENOENT)
        XCTAssertEqual(error.message, "no such parent")
        XCTAssertEqual(error.offset, 24)
    }
}
