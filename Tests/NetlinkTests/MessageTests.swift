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
            datagram += GenericMessage(family: 0x500, command: command, version: 1, sequence: UInt32(command), attributes: attributes.bytes)
                .netlinkMessage.encoded()
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
        XCTAssertEqual(second.encoded(), second.netlinkMessage.encoded(), "written in place, a generic message is its netlink message")
        XCTAssertEqual(second.encoded().count, MessageHeader.size + messages[1].payloadSlice.count)
    }

    /// An error in the second message of a datagram decodes from that
    /// message's start too.
    func testAnAckLaterInADatagramDecodes() throws {
        let request = MessageHeader(length: 20, type: 0x500, flags: [.request, .ack], sequence: 5, port: 9)
        var datagram = GenericMessage(family: 0x500, command: 1, version: 1, sequence: 5).netlinkMessage.encoded()
        datagram += ExtendedAck.encode(error: NetlinkError(errno: ENOENT, message: "no such parent", offset: 24), for: request).encoded()
        let ack = try NetlinkMessage.parse(datagram)[1]
        let error = try XCTUnwrap(try ExtendedAck.decode(ack))
        XCTAssertEqual(error.errno, ENOENT)
        XCTAssertEqual(error.message, "no such parent")
        XCTAssertEqual(error.offset, 24)
    }

    /// The ack written in one buffer is byte for byte the message
    /// `encode(error:for:)` builds, with and without extended ACK attributes.
    func testAnAckWrittenInOneBufferIsTheEncodedOne() {
        let request = MessageHeader(length: 48, type: 0x500, flags: [.request, .ack], sequence: 77, port: 4242)
        let errors: [NetlinkError?] = [
            nil,
            NetlinkError(errno: EPERM),
            NetlinkError(errno: EINVAL, message: "name is 300 bytes long, longer than 64", offset: 24),
            NetlinkError(errno: EINVAL, message: "dev-new needs attribute type", missingType: 4, missingNest: 28),
        ]
        for error in errors {
            let expected = ExtendedAck.encode(error: error, for: request).encoded()
            let written = ExtendedAck.encoded(error: error, for: request)
            XCTAssertEqual(written, expected, "ack for \(String(describing: error))")
        }
        XCTAssertEqual(ExtendedAck.encoded(error: nil, for: request).count, 36, "a capped ack: two headers and the error code")
    }

    /// The validator reads a request where it lies in its datagram: errors
    /// in the second message of a datagram point at offsets counted from
    /// that message's start, and the decoder it returns reads the same
    /// attributes.
    func testTheValidatorReadsARequestInPlace() throws {
        let set = AttributeSetPolicy(name: "dev", attributes: [
            AttributePolicy(id: 1, name: "bus-name", type: .string, maxLength: 16),
            AttributePolicy(id: 2, name: "index", type: .u32),
            AttributePolicy(id: 3, name: "param", type: .nest, nestedSet: "param"),
        ])
        let inner = AttributeSetPolicy(name: "param", attributes: [AttributePolicy(id: 1, name: "name", type: .string)])
        let operation = OperationPolicy(command: 1, name: "dev-get", attributeSet: "dev", doRequest: [1, 2, 3], dumpRequest: nil, adminPerm: false)
        let validator = PolicyValidator(family: FamilyPolicy(name: "subdev", version: 1, sets: [set, inner], operations: [operation],
                                                             multicastGroups: [], enums: [:]))
        func request(_ body: (inout AttributeEncoder) -> Void) throws -> GenericMessage {
            var padding = AttributeEncoder()
            padding.put(UInt16(1), "an earlier request in the same datagram")
            var datagram = GenericMessage(family: 0x500, command: 1, version: 1, attributes: padding.bytes).netlinkMessage.encoded()
            var attributes = AttributeEncoder()
            body(&attributes)
            datagram += GenericMessage(family: 0x500, command: 1, version: 1, attributes: attributes.bytes).netlinkMessage.encoded()
            let second = try NetlinkMessage.parse(datagram)[1]
            XCTAssertGreaterThan(second.payloadSlice.startIndex, 0)
            return try GenericMessage(second)
        }

        let good = try request { $0.put(UInt16(1), "pci"); $0.put(UInt16(2), UInt32(7)) }
        let decoder = try validator.validate(good, operation: operation, dump: false)
        XCTAssertEqual(try decoder.string(UInt16(1)), "pci")
        XCTAssertEqual(try decoder.integer(UInt16(2), as: UInt32.self), 7)
        XCTAssertEqual(decoder.offset(of: UInt16(2)), GenericMessage.attributesOffset + 8)

        let long = try request { $0.put(UInt16(2), UInt32(7)); $0.put(UInt16(1), String(repeating: "x", count: 17)) }
        XCTAssertThrowsError(try validator.validate(long, operation: operation, dump: false)) { error in
            XCTAssertEqual((error as? NetlinkError)?.offset, UInt32(GenericMessage.attributesOffset + 8))
            XCTAssertEqual((error as? NetlinkError)?.message, "bus-name is 17 bytes long, longer than 16")
        }
        let badNest = try request { out in
            out.put(UInt16(2), UInt32(7))
            out.nest(UInt16(3)) { $0.put(UInt16(9), UInt32(1)) }
        }
        XCTAssertThrowsError(try validator.validate(badNest, operation: operation, dump: false)) { error in
            XCTAssertEqual((error as? NetlinkError)?.offset, UInt32(GenericMessage.attributesOffset + 8 + 4),
                           "the unknown attribute inside the nest, counted from the message start")
            XCTAssertEqual((error as? NetlinkError)?.message, "unknown attribute type 9 in param, inside param")
        }
        var trailing = try request { $0.put(UInt16(2), UInt32(7)) }
        trailing.attributeArea += [0, 0]
        XCTAssertThrowsError(try validator.validate(trailing, operation: operation, dump: false)) { error in
            XCTAssertEqual((error as? NetlinkError)?.offset, UInt32(GenericMessage.attributesOffset + 8))
            XCTAssertEqual((error as? NetlinkError)?.message, "2 bytes left over after the attributes of dev")
        }
    }

    /// The decoder the validator returns looks attributes up in the table
    /// it filled while validating, as `nla_parse` fills `tb[]`: it must
    /// answer every lookup as a decoder that walks the bytes does.
    func testTheValidatorsTableAnswersAsAWalkDoes() throws {
        let set = AttributeSetPolicy(name: "dev", attributes: [
            AttributePolicy(id: 1, name: "bus-name", type: .string, maxLength: 16),
            AttributePolicy(id: 2, name: "index", type: .u32),
            AttributePolicy(id: 4, name: "param", type: .nest, nestedSet: "param"),
            AttributePolicy(id: 6, name: "force", type: .flag),
        ])
        let inner = AttributeSetPolicy(name: "param", attributes: [AttributePolicy(id: 1, name: "name", type: .string)])
        let operation = OperationPolicy(command: 3, name: "dev-new", attributeSet: "dev", doRequest: [1, 2, 4, 6], dumpRequest: nil, adminPerm: false)
        let validator = PolicyValidator(family: FamilyPolicy(name: "subdev", version: 1, sets: [set, inner], operations: [operation],
                                                             multicastGroups: [], enums: [:]))
        var attributes = AttributeEncoder()
        attributes.put(UInt16(2), UInt32(7))
        attributes.nest(UInt16(4)) { $0.put(UInt16(1), "first") }
        attributes.put(UInt16(1), "pci")
        attributes.nest(UInt16(4)) { $0.put(UInt16(1), "second") }
        attributes.put(UInt16(2), UInt32(9))  // repeated: the last one counts
        let message = GenericMessage(family: 0x500, command: 3, version: 1, attributes: attributes.bytes)

        let indexed = try validator.validate(message, operation: operation, dump: false)
        let walked = try AttributeDecoder(message.attributeArea, baseOffset: GenericMessage.attributesOffset)
        for type in UInt16(0)...UInt16(9) {
            XCTAssertEqual(indexed.offset(of: type), walked.offset(of: type), "offset of type \(type)")
            XCTAssertEqual(indexed.has(type), walked.has(type), "type \(type) present")
        }
        XCTAssertEqual(try indexed.integer(UInt16(2), as: UInt32.self), 9, "the last instance, as nla_parse keeps it")
        XCTAssertEqual(try indexed.string(UInt16(1)), "pci")
        XCTAssertNil(try indexed.string(UInt16(6)), "absent, though the set has it")
        XCTAssertNil(try indexed.string(UInt16(40)), "past the set's highest type")
        XCTAssertEqual(try indexed.all(UInt16(4)).map { try AttributeDecoder($0.payload).string(UInt16(1)) }, ["first", "second"],
                       "a multi-attr attribute still reads every instance")

        XCTAssertEqual(try indexed.withStringBytes(UInt16(1)) { Array($0) }, Array("pci".utf8), "the bytes before the NUL")
        XCTAssertNil(try indexed.withStringBytes(UInt16(6)) { Array($0) })
        var unterminated = AttributeEncoder()
        unterminated.put(UInt16(1), bytes: [UInt8]("pci".utf8))
        XCTAssertThrowsError(try AttributeDecoder(unterminated.bytes).withStringBytes(UInt16(1)) { Array($0) }) { error in
            XCTAssertEqual((error as? ProtocolError)?.reason, "attribute 1: string without its NUL")
        }
    }

    /// A request made in one buffer carries what one made from encoded
    /// attributes does, on the wire and to a decoder, however many bytes
    /// its attributes take (past the buffer's first room, nests included).
    func testARequestMadeInOneBufferIsTheOneMadeFromItsAttributes() throws {
        for length in [0, 3, 100, 400] {
            func encode(_ out: inout AttributeEncoder) {
                out.put(UInt16(1), "pci")
                out.put(UInt16(2), String(repeating: "x", count: length))
                out.nest(UInt16(3)) { nest in
                    nest.put(UInt16(1), UInt32(7))
                    nest.put(UInt16(2), UInt64(length))
                }
            }
            var attributes = AttributeEncoder()
            encode(&attributes)
            let plain = GenericMessage(family: 0x1d, command: 4, version: 2, attributes: attributes.bytes).netlinkMessage
            let made = GenericMessage.request(family: 0x1d, command: 4, version: 2, encode)
            XCTAssertEqual(made.encoded(), plain.encoded(), "\(length) bytes of string")
            XCTAssertEqual(made.header, plain.header)
            let decoded = try GenericMessage(made)
            XCTAssertEqual(decoded.command, 4)
            XCTAssertEqual(decoded.version, 2)
            XCTAssertEqual(try decoded.decoder().nested(UInt16(3))?.integer(UInt16(2), as: UInt64.self), UInt64(length))
            // Written in place after another message, as a pipeline packs
            // its requests: the same bytes, its length filled in.
            var batch = WireBuffer()
            GenericMessage.request(family: 0x1d, command: 9, version: 1) { $0.put(UInt16(1), UInt8(5)) }.write(to: &batch)
            let start = batch.count
            GenericMessage.writeRequest(family: 0x1d, command: 4, version: 2, to: &batch, encode)
            XCTAssertEqual(Array(batch.bytes[start...]), plain.encoded(), "\(length) bytes of string, written in place")
            XCTAssertEqual(try NetlinkMessage.parse(batch.bytes).map(\.header.length), [28, UInt32(plain.encoded().count)])
        }
    }
}
