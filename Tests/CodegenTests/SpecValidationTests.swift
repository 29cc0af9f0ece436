import Foundation
import XCTest

/// Tools/validate-spec.py checks specs against the kernel's genetlink schema.
final class SpecValidationTests: XCTestCase {
    /// `python3 Tools/validate-spec.py Specs/subdev.yaml ../shared/data/genetlink.yaml`
    /// from the package root.
    func testSubdevSpecIsValid() throws {
        let result = try validate("Specs/subdev.yaml")
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "valid")
    }

    /// Positive control: a spec from the kernel tree.
    func testKernelHandshakeSpecIsValid() throws {
        let result = try validate(try TestSupport.sharedFile("handshake.yaml").path)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "valid")
    }

    /// Negative control: an attribute type the schema does not know.
    func testUnknownAttributeTypeIsRejected() throws {
        let spec = try TestSupport.specText()
            .replacingFirst("        name: total\n        type: u64", with: "        name: total\n        type: u128")
        let result = try validate(try write(spec).path)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("attribute-sets[0].attributes[1].type"), result.output)
        XCTAssertTrue(result.output.contains("'u128' is not one of"), result.output)
    }

    /// Negative control: the top-level doc is required.
    func testMissingDocIsRejected() throws {
        var lines = try TestSupport.specText().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("doc:") })
        var end = start + 1
        while end < lines.count, lines[end].isEmpty || lines[end].hasPrefix(" ") { end += 1 }
        lines.removeSubrange(start..<end)
        let result = try validate(try write(lines.joined(separator: "\n")).path)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("'doc' is a required property"), result.output)
    }

    // MARK: - Helpers

    /// Runs the validator from the package root on `spec`, a path relative to
    /// the root or absolute.
    private func validate(_ spec: String) throws -> (status: Int32, output: String) {
        _ = try TestSupport.sharedFile("genetlink.yaml")
        guard let python = TestSupport.which("python3") else {
            throw XCTSkip("python3 is not installed, so Tools/validate-spec.py cannot run")
        }
        let result = try TestSupport.run(
            python, ["Tools/validate-spec.py", spec, "../shared/data/genetlink.yaml"], in: TestSupport.packageRoot)
        if result.status == 2, result.output.contains("missing python module") {
            throw XCTSkip("Tools/validate-spec.py needs python's jsonschema and PyYAML: \(result.output)")
        }
        return result
    }

    private func write(_ spec: String) throws -> URL {
        let url = try TestSupport.temporaryDirectory(for: self).appendingPathComponent("spec.yaml")
        try spec.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
