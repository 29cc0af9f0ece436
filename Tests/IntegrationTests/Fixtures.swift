import Foundation
import XCTest

/// C programs in Tests/Fixtures, built with gcc for a test into a
/// world-readable directory, so that they can also run as nobody.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds `Tests/Fixtures/NAME.c` for `test`, which removes it when it
    /// ends; `libnl` links libnl-genl-3 and finds the generated uAPI header.
    static func build(_ name: String, libnl: Bool = false, for test: XCTestCase) throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") else {
            throw XCTSkip("gcc is not installed; the README's setup installs it")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent(name)
        let flags = libnl ? "-I '\(packageRoot.path)/include/uapi' $(pkg-config --cflags --libs libnl-genl-3.0)" : ""
        let result = try runProcess("/bin/sh", ["-c", """
            gcc -Wall -Werror '\(packageRoot.path)/Tests/Fixtures/\(name).c' \(flags) -o '\(output.path)'
            """])
        guard result.status == 0 else {
            XCTFail("building \(name): \(result.stderr)")
            throw XCTSkip("fixture \(name) did not build")
        }
        return output
    }
}
