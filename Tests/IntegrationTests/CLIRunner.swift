import Foundation
import XCTest

/// Runs `subdev` against `model`, with definitions in `configDir` when given.
func subdev(_ arguments: [String], model: ModelProcess, configDir: String? = nil) throws -> CommandResult {
    var environment = ["SUBDEV_NL_PORT": String(model.port), "COLUMNS": "100"]
    if let configDir { environment["SUBDEV_CONFIG_DIR"] = configDir }
    var result = try runProduct("subdev", arguments, environment: environment)
    result.stdout = result.stdout.replacingOccurrences(of: model.root, with: "$ROOT")
    return result
}

/// The JSON object `result` printed.
func jsonObject(_ result: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    return try XCTUnwrap(object, "not a JSON object: \(result.stdout)", file: file, line: line)
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; whether it held.
func eventually(seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return try condition()
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(for test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}
