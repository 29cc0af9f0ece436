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
