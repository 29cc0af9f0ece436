import XCTest
@testable import SubdevModel

/// The relative targets of the mirror's symbolic links, as sysfs makes them.
final class SysfsLinkTests: XCTestCase {
    func testTheClassLinkClimbsToTheCommonAncestor() {
        XCTAssertEqual(SysfsTree.relative("/r/sys/devices/virtual/mtty/subdev.3/vfio-dev/vfio5", from: "/r/sys/class/vfio-dev"),
                       "../../devices/virtual/mtty/subdev.3/vfio-dev/vfio5")
        XCTAssertEqual(SysfsTree.relative("/r/sys/devices/pci0000:6a/0000:6a:01.0", from: "/r/sys/bus/pci/devices"),
                       "../../../devices/pci0000:6a/0000:6a:01.0")
    }

    func testAComponentSharedOnlyInPartIsNotAnAncestor() {
        XCTAssertEqual(SysfsTree.relative("/a/bc/d", from: "/a/b"), "../bc/d")
        XCTAssertEqual(SysfsTree.relative("/a/b", from: "/a/bc/d"), "../../b")
    }

    func testATargetBelowOrAboveTheDirectory() {
        XCTAssertEqual(SysfsTree.relative("/a/b/c", from: "/a"), "b/c")
        XCTAssertEqual(SysfsTree.relative("/a", from: "/a/b/c"), "../..")
        XCTAssertEqual(SysfsTree.relative("/a/b", from: "/a/b"), "")
        XCTAssertEqual(SysfsTree.relative("/x/y", from: "/"), "x/y")
    }
}
