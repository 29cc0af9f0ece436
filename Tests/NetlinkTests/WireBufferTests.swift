import XCTest
import Netlink

final class WireBufferTests: XCTestCase {
    /// Writes past the room grow the buffer and keep what was written.
    func testGrowingKeepsTheWrittenBytes() {
        var buffer = WireBuffer(capacity: 4)
        for value in 0..<300 {
            buffer.append([UInt8(truncatingIfNeeded: value)])
        }
        XCTAssertEqual(buffer.count, 300)
        XCTAssertEqual(buffer.bytes, (0..<300).map { UInt8(truncatingIfNeeded: $0) })
        XCTAssertEqual(WireBuffer().bytes, [], "a new buffer holds nothing")
    }

    /// What was truncated is room again: an attribute written over it
    /// has its padding zeroed, not left as the old bytes.
    func testAttributesWrittenOverTruncatedBytesArePaddedWithZeroes() throws {
        var reused = WireBuffer(continuing: Array(repeating: 0xFF, count: 64))
        reused.truncate(to: 0)
        XCTAssertEqual(reused.count, 0)
        XCTAssertTrue(GenericMessage.append(to: &reused, header: MessageHeader(type: 30, flags: []), command: 1, version: 1) { attributes in
            attributes.put(UInt16(2), "a")
            return true
        })
        let bytes = reused.bytes
        XCTAssertEqual(bytes.count, 20 + 8)
        XCTAssertEqual(Array(bytes[20...]), [6, 0, 2, 0, UInt8(ascii: "a"), 0, 0, 0], "the string's NUL and padding are zeroes")
        XCTAssertEqual(bytes.loadLittleEndianUInt32(at: 0), 28, "nlmsg_len covers the headers and the attribute")
    }

    /// A message the body declines leaves the buffer as it was.
    func testADeclinedMessageLeavesNothing() {
        var buffer = WireBuffer(continuing: [1, 2, 3, 4])
        XCTAssertFalse(GenericMessage.append(to: &buffer, header: MessageHeader(type: 30, flags: []), command: 1, version: 1) { attributes in
            attributes.put(UInt16(2), UInt32(9))
            return false
        })
        XCTAssertEqual(buffer.bytes, [1, 2, 3, 4])
    }

    /// Taking a prefix moves the rest to the front, where writing goes on.
    func testTakingAPrefixKeepsTheRestInFront() {
        var buffer = WireBuffer(capacity: 8)
        buffer.append(Array(1...10))
        XCTAssertEqual(buffer.takePrefix(3), [1, 2, 3])
        XCTAssertEqual(buffer.bytes, Array(4...10), "the rest overlaps where it came from")
        buffer.append([11])
        XCTAssertEqual(buffer.takePrefix(buffer.count), Array(4...11))
        XCTAssertEqual(buffer.count, 0)
    }

    /// A decimal suffix is written as `String(value)` would write it.
    func testDecimalSuffixMatchesTheStringOfTheNumber() throws {
        for value: UInt32 in [0, 7, 9, 10, 99, 100, 12_345, .max] {
            var encoder = AttributeEncoder()
            encoder.put(UInt16(3), "/dev/vfio/devices/vfio", decimal: value)
            encoder.put(UInt16(4), "", decimal: value)
            let decoder = try AttributeDecoder(encoder.bytes, baseOffset: 0)
            XCTAssertEqual(try decoder.string(UInt16(3)), "/dev/vfio/devices/vfio\(value)")
            XCTAssertEqual(try decoder.string(UInt16(4)), "\(value)")
        }
    }
}

private extension Array where Element == UInt8 {
    func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }
}
