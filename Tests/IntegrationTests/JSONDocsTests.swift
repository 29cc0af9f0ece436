import Foundation
import XCTest

/// Docs/json.md documents every `-j` shape: each golden JSON file is named
/// there, and every key a command printed into one appears there quoted.
final class JSONDocsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Object keys in `value`, except those of maps whose keys are data:
    /// handles, names, parameter, counter and fact names.
    static func keys(_ value: Any, under parent: String? = nil) -> Set<String> {
        var found: Set<String> = []
        if let object = value as? [String: Any] {
            let dataKeyed: Set<String> = ["parent", "type", "dev", "definitions", "params", "counters", "capabilities",
                                          "details", "instance-cost", "capacity"]
            for (key, child) in object {
                let isData = parent.map(dataKeyed.contains) ?? false
                if !isData { found.insert(key) }
                // A data-keyed map's values are objects of their own kind.
                found.formUnion(keys(child, under: isData ? "\(parent ?? "")-entry" : key))
            }
        } else if let array = value as? [Any] {
            for element in array { found.formUnion(keys(element, under: parent)) }
        }
        return found
    }

    func testEveryGoldenJSONShapeIsDocumented() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("Docs/json.md"), encoding: .utf8)
        let golden = Self.root.appendingPathComponent("Tests/Golden")
        let files = try FileManager.default.contentsOfDirectory(atPath: golden.path)
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 9)
        for file in files {
            XCTAssertTrue(doc.contains("`\(file)`"), "Docs/json.md does not name \(file)")
            let text = try String(contentsOf: golden.appendingPathComponent(file), encoding: .utf8)
            let documents = file.hasSuffix(".jsonl") ? text.split(separator: "\n").map(String.init) : [text]
            for document in documents {
                let value = try JSONSerialization.jsonObject(with: Data(document.utf8))
                for key in Self.keys(value) {
                    XCTAssertTrue(doc.contains("\"\(key)\""), "Docs/json.md does not document key \"\(key)\" of \(file)")
                }
            }
        }
    }
}
