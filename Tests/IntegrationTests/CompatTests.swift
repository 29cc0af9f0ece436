import Foundation
import XCTest

/// `dev-compat` through the CLI over real sockets: the plugins' rules,
/// live subdevices and exported descriptions, yes and no with reasons.
final class CompatTests: XCTestCase {
    var model: ModelProcess!
    var directory = ""

    override func setUp() async throws {
        model = try ModelProcess.start()
        directory = try temporaryDirectory(for: self)
        for words in [["virtual/mtty", "type", "mtty-1", "name", "a", "label", "x", "baud", "300"],
                      ["virtual/mtty", "type", "mtty-1", "name", "b", "label", "x"],
                      ["virtual/mtty", "type", "mtty-2", "name", "c", "label", "y"],
                      ["pci/0000:6a:01.0", "type", "dwq", "name", "d"],
                      ["pci/0000:6a:01.0", "type", "dwq", "name", "e"],
                      ["pci/0000:3b:00.0", "type", "A40-8Q", "name", "g"]] {
            let result = try cli(["dev", "add"] + words)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
    }

    override func tearDown() {
        model.stop()
    }

    func cli(_ arguments: [String]) throws -> CommandResult { try subdev(arguments, model: model) }

    /// `g` exported with `-j dev show`, edited by `change`, written to a file.
    func exported(_ name: String, _ change: (String) -> String) throws -> String {
        let result = try cli(["-j", "-p", "dev", "show", "g"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let path = "\(directory)/\(name).json"
        try change(result.stdout).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func assertVerdict(_ source: String, _ destination: String, compatible: Bool, reasons: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try cli(["dev", "compat", source, destination])
        XCTAssertEqual(result.status, compatible ? 0 : 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, ([compatible ? "compatible" : "not compatible"] + reasons.map { "  \($0)" }).joined(separator: "\n") + "\n",
                       file: file, line: line)
    }

    func testStandardRulesOfMtty() throws {
        // Mutable parameters (baud) may differ; fixed ones (label) may not.
        try assertVerdict("a", "b", compatible: true, reasons: [])
        try assertVerdict("a", "c", compatible: false, reasons: [
            "type differs: mtty-1 on the source, mtty-2 on the destination",
            "migration-compat differs: mtty;ports=1;abi=1 on the source, mtty;ports=2;abi=1 on the destination",
            "parameter label differs: x on the source, y on the destination, and it cannot change while the subdevice exists",
        ])
    }

    func testTypesThatDoNotMigrateAreNeverCompatible() throws {
        try assertVerdict("d", "e", compatible: false, reasons: [
            "the source's type dwq does not support migration",
            "the destination's type dwq does not support migration",
        ])
    }

    func testVgpuRulesAcceptAnOlderSourceAbiAndRefuseANewerOne() throws {
        let newer = try exported("newer") { $0.replacingOccurrences(of: "abi=1", with: "abi=2") }
        let older = try exported("older") {
            $0.replacingOccurrences(of: "abi=1", with: "abi=0")
                .replacingOccurrences(of: "\"frame-rate-limit\" : 60", with: "\"frame-rate-limit\" : 30")
        }
        try assertVerdict(newer, "g", compatible: false, reasons: [
            "the destination's vGPU manager speaks abi 1, older than the source's 2, and cannot read its state",
        ])
        // An older source moves to a newer manager; the frame-rate limit is set again after the move.
        try assertVerdict(older, "g", compatible: true, reasons: [])
    }

    func testADescribedDestinationIsCheckedForRoom() throws {
        let smaller = try exported("smaller") { $0.replacingOccurrences(of: "A40-8Q", with: "A40-4Q") }
        try assertVerdict("g", smaller, compatible: false, reasons: [
            "profile differs: A40-8Q on the source, A40-4Q on the destination",
            "pci/0000:3b:00.0 has no room for another A40-4Q now",
        ])
        // Standard input, as a pipe from another host would give it.
        let process = Process()
        process.executableURL = try ModelProcess.product("subdev")
        process.arguments = ["dev", "compat", "-", "g"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SUBDEV_NL_PORT": String(model.port)]) { $1 }
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try Data(contentsOf: URL(fileURLWithPath: try exported("same") { $0 })))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        waitForExit(process)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(text, "compatible\n")
    }

    func testJSONAnswerAndErrors() throws {
        let result = try cli(["-j", "dev", "compat", "a", "c"])
        XCTAssertEqual(result.status, 2, result.stderr)
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(answer["compatible"] as? Bool, false)
        XCTAssertEqual((answer["reasons"] as? [String])?.count, 3)
        XCTAssertEqual(answer["source"] as? String, "a")
        let elsewhere = try exported("elsewhere") { $0.replacingOccurrences(of: "pci/0000:3b:00.0", with: "pci/0000:99:00.0") }
        let cases: [([String], String)] = [
            (["dev", "compat", elsewhere, elsewhere],
             "Error: neither pci/0000:99:00.0 nor pci/0000:99:00.0 is a parent here; the check needs the plugin of one of them\n"),
            (["dev", "compat", "ghost", "a"], "Error: no subdevice named ghost\n"),
            (["dev", "compat", "\(directory)/missing.json", "a"], "Error: \(directory)/missing.json cannot be read\n"),
        ]
        for (arguments, expected) in cases {
            let result = try cli(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.stderr, expected, "\(arguments)")
        }
    }
}
