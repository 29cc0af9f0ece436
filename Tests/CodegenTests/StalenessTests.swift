import Foundation
import SubdevCodegen
import XCTest

/// The generated files in the tree must be exactly what the committed spec renders to.
final class StalenessTests: XCTestCase {
    func testGeneratedFilesMatchTheSpec() throws {
        let root = TestSupport.packageRoot
        let files = try generateAll(root: root)
        XCTAssertEqual(files.map(\.path), [
            "Sources/SubdevUAPI/SubdevUAPI.generated.swift",
            "include/uapi/linux/subdev.h",
            "Docs/uapi.md",
        ])
        for file in files {
            let url = root.appendingPathComponent(file.path)
            guard let onDisk = try? String(contentsOf: url, encoding: .utf8) else {
                XCTFail("\(file.path) is missing: run `swift run subdev-codegen` from the package root")
                continue
            }
            XCTAssertTrue(
                onDisk == file.contents,
                "\(file.path) is stale (\(Self.firstDifference(onDisk, file.contents))): "
                    + "run `swift run subdev-codegen` from the package root after changing Specs/subdev.yaml"
            )
        }
        XCTAssertEqual(staleFiles(files, root: root), [], "run `swift run subdev-codegen`")
    }

    func testGenerationIsDeterministic() throws {
        let spec = try TestSupport.specText()
        XCTAssertEqual(try generateAll(specYAML: spec), try generateAll(specYAML: spec))
    }

    func testSubdevUAPIHoldsOnlyTheGeneratedFile() throws {
        let directory = TestSupport.packageRoot.appendingPathComponent("Sources/SubdevUAPI")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasPrefix(".") }
        XCTAssertEqual(names, ["SubdevUAPI.generated.swift"])
    }

    /// Where two texts first differ, as a line number and both lines.
    private static func firstDifference(_ old: String, _ new: String) -> String {
        let oldLines = old.split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = new.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(oldLines.count, newLines.count) {
            let oldLine = index < oldLines.count ? String(oldLines[index]) : "<end of file>"
            let newLine = index < newLines.count ? String(newLines[index]) : "<end of file>"
            if oldLine != newLine {
                return "line \(index + 1) is '\(oldLine)' but the spec gives '\(newLine)'"
            }
        }
        return "no line differs"
    }
}
