import XCTest
@testable import Subdev
import Netlink
import SubdevUAPI

/// A path kept in two parts reads, compares and hashes as the whole path,
/// however it was made.
final class PathTextTests: XCTestCase {
    private func fromBytes(_ bytes: [UInt8]) -> PathText {
        bytes.withUnsafeBytes { raw in PathText(raw) { String(decoding: $0, as: UTF8.self) } }
    }

    func testPartsAreTheSameFromAStringOrFromBytes() {
        let paths: [[UInt8]] = [
            Array("/run/subdev/1/dev/vfio/devices/vfio12".utf8), Array("vfio0".utf8), Array("".utf8), Array("/".utf8),
            Array("a/b/".utf8), Array("/sys/devices/été/subdev.3".utf8), [0xFF, 0x2F, 0xC3], [0xE2, 0x82, 0x2F, 0xAC],
        ]
        for bytes in paths {
            let whole = String(decoding: bytes, as: UTF8.self)
            let made = PathText(whole), decoded = fromBytes(bytes)
            XCTAssertEqual(made.path, whole, "\(bytes)")
            XCTAssertEqual(decoded.path, whole, "\(bytes): each side decodes as within the whole")
            XCTAssertEqual(made, decoded, "\(bytes)")
            XCTAssertEqual(made.hashValue, decoded.hashValue, "\(bytes)")
            XCTAssertFalse(made.directory.isEmpty && whole.contains("/"), "\(bytes): split at the last slash")
            XCTAssertFalse(made.last.contains("/"), "\(bytes)")
        }
        XCTAssertEqual(PathText("/a/vfio1").directory, "/a/")
        XCTAssertEqual(PathText("/a/vfio1").last, "vfio1")
        XCTAssertNotEqual(PathText("/a/vfio1"), PathText("/a/vfio2"))
        XCTAssertNotEqual(PathText("/a/b"), PathText("/ab"))
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
    }

    /// A VFIO nest with the two paths, decoded with and without a memo,
    /// which must agree; the memo's result is returned.
    private func decodeVFIO(devNode: String, sysfsPath: String) throws -> VFIOInfo {
        var nest = AttributeEncoder()
        nest.put(SubdevVfioAttr.index, UInt32(3))
        nest.put(SubdevVfioAttr.devNode, devNode)
        nest.put(SubdevVfioAttr.sysfsPath, sysfsPath)
        let bytes = nest.bytes
        var remembering = DeviceMemo(remembering: true), plain = DeviceMemo(remembering: false)
        let decoder = try AttributeDecoder(bytes)
        let remembered = try ObjectDecoding.vfio(decoder, memo: &remembering)
        XCTAssertEqual(try ObjectDecoding.vfio(decoder, memo: &remembering), remembered, "decoded again from the memo")
        XCTAssertEqual(try ObjectDecoding.vfio(decoder, memo: &plain), remembered)
        return remembered
    }
}
