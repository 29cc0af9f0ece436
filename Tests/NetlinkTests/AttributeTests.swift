import XCTest
import Netlink

final class AttributeTests: XCTestCase {
    func testRoundTripWithNestsAndPadding() throws {
        var encoder = AttributeEncoder()
        encoder.put(UInt16(1), "pci")
        encoder.put(UInt16(2), UInt8(7))
        encoder.put(UInt16(3), UInt64.max)
        encoder.putFlag(UInt16(4))
        encoder.nest(UInt16(5)) { inner in
            inner.put(UInt16(1), UInt32(42))
        }
        XCTAssertEqual(encoder.bytes.count % 4, 0)
        let decoder = try AttributeDecoder(encoder.bytes, baseOffset: 20)
        XCTAssertEqual(try decoder.string(UInt16(1)), "pci")
        XCTAssertEqual(try decoder.integer(UInt16(2), as: UInt8.self), 7)
        XCTAssertEqual(try decoder.integer(UInt16(3), as: UInt64.self), .max)
        XCTAssertTrue(decoder.has(UInt16(4)))
        XCTAssertEqual(try decoder.nested(UInt16(5))?.integer(UInt16(1), as: UInt32.self), 42)
        XCTAssertEqual(decoder.first(UInt16(5))?.nestedFlag, true)
        XCTAssertEqual(decoder.first(UInt16(1))?.offset, 20)
        XCTAssertEqual(decoder.first(UInt16(2))?.offset, 28, "\"pci\\0\" pads to 8 bytes with its header")
    }

    /// A copy of encoded attributes is appended whole and changed where it
    /// lands; what was encoded from an offset reads back as itself; a
    /// decoder lends its area with its offset, and the nests' too.
    func testACopyIsPatchedWhereItLandsAndAreasAreLent() throws {
        var original = AttributeEncoder()
        original.put(UInt16(1), UInt32(7))
        original.put(UInt16(2), "vfio3")
        var out = AttributeEncoder()
        out.put(UInt16(9), UInt8(1))
        let start = out.count
        out.append(encoded: original.bytes) { copy in
            XCTAssertEqual(copy.count, original.count, "the patch sees the copy alone")
            copy.storeBytes(of: UInt32(8).littleEndian, toByteOffset: 4, as: UInt32.self)
            copy[8 + 8] = UInt8(ascii: "4")
        }
        XCTAssertEqual(Array(original.bytes[..<4]), Array(out.encoded(from: start)[..<4]), "headers as they were")
        let decoder = try AttributeDecoder(out.encoded(from: start))
        XCTAssertEqual(try decoder.integer(UInt16(1), as: UInt32.self), 8)
        XCTAssertEqual(try decoder.string(UInt16(2)), "vfio4")
        XCTAssertEqual(try AttributeDecoder(out.bytes).integer(UInt16(9), as: UInt8.self), 1, "what came before is untouched")

        let lent = try AttributeDecoder(out.bytes, baseOffset: 20).withUnsafeArea { (Array($0), $1) }
        XCTAssertEqual(lent?.0, out.bytes)
        XCTAssertEqual(lent?.1, 20)
        XCTAssertNil(AttributeDecoder(attributes: []).withUnsafeArea { _, _ in 0 }, "parsed attributes have no area")
    }

    /// The decoder reads nests in place three ways: a nest of a `forEach`
    /// borrowed for the body, a nest by type that shares the bytes, and
    /// the same over attributes the validator parsed. All read alike.
    func testNestsReadInPlaceAgreeWithParsedAttributes() throws {
        var encoder = AttributeEncoder()
        encoder.put(UInt16(1), "dev")
        for value in [UInt32(7), UInt32(9)] {
            encoder.nest(UInt16(2)) { nest in
                nest.put(UInt16(1), value)
                nest.nest(UInt16(3)) { inner in inner.put(UInt16(1), "deep \(value)") }
            }
        }
        let inPlace = try AttributeDecoder(encoder.bytes, baseOffset: 20)
        let parsed = AttributeDecoder(attributes: try Attribute.parse(encoder.bytes, baseOffset: 20).attributes)
        for decoder in [inPlace, parsed] {
            var seen: [String] = []
            try decoder.forEach { found in
                guard found.type == 2 else { return }
                let nest = try found.nested()
                let inner = try XCTUnwrap(try nest.nested(UInt16(3)))
                seen.append("\(try nest.integer(UInt16(1), as: UInt32.self) ?? 0) \(try inner.string(UInt16(1)) ?? "") at \(found.offset)")
            }
            XCTAssertEqual(seen, ["7 deep 7 at 28", "9 deep 9 at 56"])
            // By type: the last instance, and every instance; decoders that outlive the call.
            let last = try XCTUnwrap(try decoder.nested(UInt16(2)))
            XCTAssertEqual(try last.integer(UInt16(1), as: UInt32.self), 9)
            XCTAssertEqual(try last.nested(UInt16(3))?.first(UInt16(1))?.offset, 72, "offsets count from the message's start")
            XCTAssertEqual(try decoder.nestedAll(UInt16(2)).map { try $0.integer(UInt16(1), as: UInt32.self) }, [7, 9])
        }
    }

    /// A repeated attribute reads as its last instance, as `nla_parse`
    /// keeps it; an earlier instance of the wrong size is not looked at.
    func testOnlyTheLastInstanceIsRead() throws {
        var encoder = AttributeEncoder()
        encoder.put(UInt16(1), UInt16(3))
        encoder.put(UInt16(1), UInt32(5))
        let decoder = try AttributeDecoder(encoder.bytes)
        XCTAssertEqual(try decoder.integer(UInt16(1), as: UInt32.self), 5)
        XCTAssertEqual(decoder.all(UInt16(1)).map(\.payload.count), [2, 4])
    }

    /// A nest's framing is checked when it is opened, whichever way: an
    /// `nla_len` past the nest's end names its offset.
    func testABadNestIsRejectedWithItsOffset() throws {
        // A nest of 12 bytes holding an attribute that claims 12.
        let bytes: [UInt8] = [12, 0, 0x02, 0x80, 12, 0, 1, 0, 1, 2, 3, 4]
        let decoder = try AttributeDecoder(bytes, baseOffset: 20)
        XCTAssertThrowsError(try decoder.nested(UInt16(2))) { XCTAssertEqual(($0 as? NetlinkError)?.offset, 24) }
        XCTAssertThrowsError(try decoder.nestedAll(UInt16(2))) { XCTAssertEqual(($0 as? NetlinkError)?.offset, 24) }
        XCTAssertThrowsError(try decoder.forEach { _ = try $0.nested() }) { XCTAssertEqual(($0 as? NetlinkError)?.offset, 24) }
    }

    func testWrongSizeIsAnError() throws {
        var encoder = AttributeEncoder()
        encoder.put(UInt16(1), UInt16(3))
        let decoder = try AttributeDecoder(encoder.bytes)
        XCTAssertThrowsError(try decoder.integer(UInt16(1), as: UInt32.self))
    }

    func testTruncatedAttributeIsRejectedWithItsOffset() {
        let bytes: [UInt8] = [8, 0, 1, 0, 1, 2, 3, 4, 12, 0, 2, 0, 0, 0]
        XCTAssertThrowsError(try Attribute.parse(bytes, baseOffset: 20)) { error in
            XCTAssertEqual((error as? NetlinkError)?.offset, 28)
        }
    }

    func testExtendedAckRoundTrip() throws {
        let request = MessageHeader(length: 40, type: 0x500, flags: [.request, .ack], sequence: 77, port: 1234)
        let sent = NetlinkError(errno: EINVAL, message: "wq-size 300 out of range 1..128", offset: 24, missingType: 3)
        let message = ExtendedAck.encode(error: sent, for: request)
        XCTAssertEqual(message.header.sequence, 77)
        XCTAssertEqual(try ExtendedAck.decode(message), sent)
        XCTAssertNil(try ExtendedAck.decode(ExtendedAck.encode(error: nil, for: request)))
    }

    /// Found by fuzzing the client: an error code of Int32.min, whose
    /// negation does not fit, trapped the decoder.
    func testExtendedAckWithTheMostNegativeCodeDecodes() throws {
        var payload: [UInt8] = []
        withUnsafeBytes(of: Int32.min.littleEndian) { payload += $0 }
        payload += [UInt8](repeating: 0, count: 16)
        let message = NetlinkMessage(header: MessageHeader(length: UInt32(16 + payload.count), type: MessageType.error, flags: [],
                                                           sequence: 1, port: 0), payload: payload)
        XCTAssertEqual(try ExtendedAck.decode(message)?.errno, Int32.max)
    }
}
