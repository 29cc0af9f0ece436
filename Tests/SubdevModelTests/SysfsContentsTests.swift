import Foundation
import XCTest
@testable import SubdevModel

/// The kept copies the sysfs mirror links to.
final class SysfsContentsTests: XCTestCase {
    var root: String = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "sysfs-contents-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: "\(root)/d", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: "\(root)/d/\(name)", encoding: .utf8) }

    func testEqualContentsAreOneFileAndALeftFileIsReplaced() throws {
        let contents = SysfsContents(root: ModelRoot(path: root), limit: 8)
        let at = open("\(root)/d", O_RDONLY | O_DIRECTORY)
        defer { close(at) }
        XCTAssertTrue(contents.link("dwq\n", as: "a", in: at))
        XCTAssertTrue(contents.link("dwq\n", as: "b", in: at))
        XCTAssertTrue(contents.link("0\n", as: "c", in: at))
        XCTAssertEqual(try read("a"), "dwq\n")
        XCTAssertEqual(try read("c"), "0\n")
        var a = stat(), b = stat(), c = stat()
        XCTAssertEqual(stat("\(root)/d/a", &a), 0)
        XCTAssertEqual(stat("\(root)/d/b", &b), 0)
        XCTAssertEqual(stat("\(root)/d/c", &c), 0)
        XCTAssertEqual(a.st_ino, b.st_ino)
        XCTAssertNotEqual(a.st_ino, c.st_ino)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: contents.store.path).count, 2, "one kept file per content")

        // A file left where a link goes is replaced, and what it held is not kept.
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(root)/d/e", contents: Data("left".utf8)))
        XCTAssertTrue(contents.link("dwq\n", as: "e", in: at))
        XCTAssertEqual(try read("e"), "dwq\n")
        XCTAssertEqual(try read("a"), "dwq\n")
    }

    func testPastTheLimitNothingIsLinked() throws {
        let contents = SysfsContents(root: ModelRoot(path: root), limit: 1)
        let at = open("\(root)/d", O_RDONLY | O_DIRECTORY)
        defer { close(at) }
        XCTAssertTrue(contents.link("first\n", as: "a", in: at))
        XCTAssertFalse(contents.link("second\n", as: "b", in: at), "a full store keeps nothing more")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(root)/d/b"))
        XCTAssertTrue(contents.link("first\n", as: "c", in: at), "what it keeps is still linked")
    }
}
