import XCTest
@testable import Subdev
import Netlink
import SubdevUAPI

/// A path kept as a stem and a number reads, compares and hashes as the
/// whole path, however it was made.
final class NumberedPathTests: XCTestCase {
    private func fromBytes(_ bytes: [UInt8]) -> NumberedPath {
        // As the decoder does: split the bytes, decode the stem alone.
        bytes.withUnsafeBytes { raw in
            let (split, number) = NumberedPath.split(raw)
            return NumberedPath(stem: String(decoding: raw[..<split], as: UTF8.self), number: number)
        }
    }

    func testPartsAreTheSameFromAStringOrFromBytes() {
        let paths: [[UInt8]] = [
            Array("/run/subdev/1/dev/vfio/devices/vfio12".utf8), Array("vfio0".utf8), Array("".utf8), Array("/".utf8),
            Array("a/b/".utf8), Array("/sys/devices/été/subdev.3".utf8), Array("vfio007".utf8), Array("a000".utf8),
            Array("0".utf8), Array("12".utf8), Array("vfio999999999".utf8), Array("vfio4294967295".utf8),
            Array("vfio0000000000001".utf8), Array("vfio0123456789".utf8), Array("vfio00000000000".utf8), [0xFF, 0x2F, 0xC3], [0xE2, 0x82, 0x31], [0xC3, 0x30, 0x30],
        ]
        for bytes in paths {
            let whole = String(decoding: bytes, as: UTF8.self)
            let made = NumberedPath(whole), decoded = fromBytes(bytes)
            XCTAssertEqual(made.path, whole, "\(bytes)")
            XCTAssertEqual(decoded.path, whole, "\(bytes): the stem decodes as within the whole")
            XCTAssertEqual(made, decoded, "\(bytes)")
            XCTAssertEqual(made.hashValue, decoded.hashValue, "\(bytes)")
        }
        XCTAssertEqual(NumberedPath("/a/vfio12").stem, "/a/vfio")
        XCTAssertEqual(NumberedPath("/a/vfio12").number, 12)
        XCTAssertEqual(NumberedPath("/a/vfio007").stem, "/a/vfio00", "leading zeros stay in the stem")
        XCTAssertEqual(NumberedPath("/a/vfio007").number, 7)
        XCTAssertEqual(NumberedPath("a000").number, 0)
        XCTAssertEqual(NumberedPath("a000").stem, "a00")
        XCTAssertNil(NumberedPath("/a/b").number)
        XCTAssertNil(NumberedPath("vfio4294967295").number, "ten digits are kept in the stem")
        XCTAssertEqual(NumberedPath("vfio999999999").number, 999_999_999)
        XCTAssertEqual(NumberedPath("vfio0123456789").number, 123_456_789, "nine digits after a zero")
        XCTAssertEqual(NumberedPath("vfio0000000000001").number, 1)
        XCTAssertNotEqual(NumberedPath("/a/vfio1"), NumberedPath("/a/vfio2"))
        XCTAssertNotEqual(NumberedPath("/a/vfio1"), NumberedPath("/a/vfio01"))
        XCTAssertNotEqual(NumberedPath("/a/b1"), NumberedPath("/ab1"))
    }

    func testAVFIOPathSetAsAStringReadsBack() throws {
        var decoded = try decodeVFIO(devNode: "/r/dev/vfio/devices/vfio3", sysfsPath: "/r/sys/devices/p/subdev.3")
        XCTAssertEqual(decoded.devNode, "/r/dev/vfio/devices/vfio3")
        XCTAssertEqual(decoded.sysfsPath, "/r/sys/devices/p/subdev.3")
        let other = try decodeVFIO(devNode: "/r/dev/vfio/devices/vfio4", sysfsPath: "/r/sys/devices/p/subdev.3")
        XCTAssertNotEqual(decoded, other)
        decoded.devNode = "/r/dev/vfio/devices/vfio4"
        XCTAssertEqual(decoded, other)
        XCTAssertEqual(decoded.hashValue, other.hashValue)
        let unnumbered = try decodeVFIO(devNode: "/r/dev/node", sysfsPath: "/r/sys/devices/p/subdev.x")
        XCTAssertEqual(unnumbered.devNode, "/r/dev/node")
        XCTAssertEqual(unnumbered.sysfsPath, "/r/sys/devices/p/subdev.x")
    }

    /// A subdevice with a VFIO nest of the two paths, decoded with and
    /// without a memo, which must agree; the memo's result is returned.
    private func decodeVFIO(devNode: String, sysfsPath: String) throws -> VFIOInfo {
        var device = AttributeEncoder()
        device.put(SubdevDevAttr.busName, "virtual")
        device.put(SubdevDevAttr.devName, "mtty")
        device.put(SubdevDevAttr.index, UInt32(3))
        device.put(SubdevDevAttr.type, "mtty-1")
        device.nest(SubdevDevAttr.vfio) { nest in
            nest.put(SubdevVfioAttr.index, UInt32(3))
            nest.put(SubdevVfioAttr.devNode, devNode)
            nest.put(SubdevVfioAttr.sysfsPath, sysfsPath)
        }
        let decoder = try AttributeDecoder(device.bytes)
        var remembering = DeviceMemo(remembering: true)
        let remembered = try ObjectDecoding.device(decoder, memo: &remembering)
        let again = try ObjectDecoding.device(decoder, memo: &remembering)
        XCTAssertEqual(again, remembered, "decoded again from the memo")
        XCTAssertTrue(again.alike === remembered.alike, "and sharing its object")
        XCTAssertEqual(try ObjectDecoding.device(decoder), remembered)
        return try XCTUnwrap(remembered.vfio)
    }
}
