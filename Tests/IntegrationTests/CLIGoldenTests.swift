import Foundation
import XCTest

/// The CLI against a real subdevd, compared with golden files in
/// Tests/Golden. Set SUBDEV_UPDATE_GOLDEN=1 to rewrite them after a
/// deliberate change, then review the diff.
final class CLIGoldenTests: XCTestCase {
    static let goldenDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")

    var model: ModelProcess!

    override func setUp() async throws {
        model = try ModelProcess.start()
    }

    override func tearDown() {
        model.stop()
    }

    /// Runs the CLI against the model; the model's root reads `$ROOT` in
    /// the output, so golden files do not depend on where it is.
    func cli(_ arguments: [String]) throws -> CommandResult {
        var result = try runProduct("subdev", arguments, environment: ["SUBDEV_NL_PORT": String(model.port), "COLUMNS": "100"])
        result.stdout = result.stdout.replacingOccurrences(of: model.root, with: "$ROOT")
        return result
    }

    func assertGolden(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SUBDEV_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "output differs from Tests/Golden/\(name)", file: file, line: line)
    }

    func testWalkThrough() throws {
        try assertGolden("parent-show.txt", cli(["parent", "show"]).stdout)
        try assertGolden("type-show.txt", cli(["type", "show", "pci/0000:6a:01.0"]).stdout)
        try assertGolden("type-show.json", cli(["-j", "type", "show", "pci/0000:3b:00.0", "A40-8Q"]).stdout)
        let add = try cli(["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "name", "vm0", "wq-size", "32", "block-on-fault", "true"])
        XCTAssertEqual(add.status, 0, add.stderr)
        try assertGolden("dev-add.txt", add.stdout)
        XCTAssertEqual(try cli(["dev", "set", "vm0", "state", "down", "priority", "3"]).status, 0)
        try assertGolden("dev-show.json", cli(["-j", "-p", "dev", "show", "vm0"]).stdout)
        try assertGolden("parent-show.json", cli(["parent", "show", "pci/0000:6a:01.0", "--json"]).stdout)
        let del = try cli(["dev", "del", "pci/0000:6a:01.0/0"])
        XCTAssertEqual(del.status, 0, del.stderr)
        XCTAssertEqual(del.stdout, "")
        XCTAssertEqual(try cli(["dev", "show"]).stdout, "")
    }

    func testErrorsGoToStderrWithStatusOne() throws {
        let cases: [([String], String)] = [
            (["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "wq-size", "300"], "Error: wq-size 300 out of range 1..96\n"),
            (["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "colour", "red"],
             "Error: type dwq has no parameter colour (it has: wq-size, priority, group, max-transfer-size, max-batch-size, ats-disable, prs-disable, block-on-fault)\n"),
            (["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "block-on-fault", "maybe"],
             "Error: block-on-fault is a bool: give true or false, not maybe\n"),
            (["dev", "add", "pci/0000:99:00.0", "type", "dwq"], "Error: no parent pci/0000:99:00.0\n"),
            (["dev", "add", "0000:6a:01.0", "type", "dwq"],
             "Error: 0000:6a:01.0 is not a parent handle: give BUS/NAME, such as pci/0000:6a:01.0\n"),
            (["dev", "add", "pci/0000:6a:01.0"], "Error: dev add needs type TYPE\n"),
            (["dev", "del", "ghost"], "Error: no subdevice named ghost\n"),
            (["dev", "set", "ghost"], "Error: dev set needs state up|down or PARAM VALUE\n"),
            (["type", "show", "pci/0000:6a:01.0", "nope"], "Error: parent pci/0000:6a:01.0 has no type nope\n"),
            (["--port", "junk", "parent", "show"],
             "Error: port junk is not a netlink port id: give 0 to 4294967295, decimal or 0x hex\n"),
        ]
        for (arguments, expected) in cases {
            let result = try cli(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.stderr, expected, "\(arguments)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
        XCTAssertEqual(try cli(["-j", "dev", "show"]).stdout, "{\"dev\":{}}\n", "errors changed nothing")
    }

    func testOptionsMayComeBetweenObjectAndVerb() throws {
        XCTAssertEqual(try cli(["dev", "-j", "show"]).stdout, "{\"dev\":{}}\n")
        XCTAssertEqual(try cli(["-j", "dev", "show"]).stdout, "{\"dev\":{}}\n")
        XCTAssertEqual(try cli(["dev", "show", "-j"]).stdout, "{\"dev\":{}}\n")
    }

    func testBadPortInTheEnvironmentIsAnError() throws {
        let result = try runProduct("subdev", ["parent", "show"], environment: ["SUBDEV_NL_PORT": "junk"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: SUBDEV_NL_PORT=junk is not a netlink port id: give 0 to 4294967295, decimal or 0x hex\n")
    }

    func testNoFamilyAtTheKernel() throws {
        let result = try runProduct("subdev", ["--port", "0", "parent", "show"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: no subdev family is served at netlink port 0 (the kernel)\n")
    }

    func testNothingListening() throws {
        let result = try runProduct("subdev", ["--port", "2146435072", "parent", "show"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: nothing answers at netlink port 2146435072: is subdevd running?\n")
    }

    func testMonitorPrintsOneLinePerChange() async throws {
        let (_, out) = try startMonitor(["config"])
        let change = try cli(["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "name", "watched"])
        XCTAssertEqual(change.status, 0, change.stderr)
        XCTAssertEqual(try cli(["dev", "del", "watched"]).status, 0)
        let seen = out.read(until: { $0.components(separatedBy: "\n").filter { $0.hasPrefix("[dev,") }.count >= 2 })
        let heads = seen.components(separatedBy: "\n").filter { $0.hasPrefix("[dev,") }
        XCTAssertEqual(heads, ["[dev,new] pci/0000:6a:01.0/0: name watched type dwq state up oper up",
                               "[dev,del] pci/0000:6a:01.0/0: name watched type dwq state up oper up"])
    }

    /// Starts `subdev monitor` with `arguments` and returns it once it
    /// joined: it says so on stderr.
    func startMonitor(_ arguments: [String]) throws -> (Process, Pipe) {
        let monitor = Process()
        let out = Pipe(), err = Pipe()
        monitor.executableURL = try ModelProcess.product("subdev")
        monitor.arguments = ["--port", String(model.port), "monitor"] + arguments
        monitor.standardOutput = out
        monitor.standardError = err
        try monitor.run()
        addTeardownBlock {
            monitor.terminate()
            waitForExit(monitor)
        }
        let said = err.read(until: { $0.contains("monitoring") })
        XCTAssertTrue(said.contains("monitoring"), "monitor did not start: \(said)")
        return (monitor, out)
    }

    func testInjectedFaultsAsMonitorShowsThem() throws {
        let (_, text) = try startMonitor(["events"])
        let (_, json) = try startMonitor(["-j", "events"])
        for words in [["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "name", "w"],
                      ["inject", "aer", "w", "severity", "correctable"],
                      ["inject", "aer", "pci/0000:6a:01.0", "severity", "fatal", "timeout", "500"],
                      ["inject", "hotplug", "pci/0000:3b:00.0", "remove", "window", "5000"],
                      ["inject", "hotplug", "pci/0000:3b:00.0", "cancel"],
                      ["inject", "surprise-remove", "virtual/mtty"]] {
            let result = try cli(words)
            XCTAssertEqual(result.status, 0, "\(words): \(result.stderr)")
        }
        // correctable; error-detected, reset, resumed; requested, cancelled; surprise-remove done.
        try assertGolden("monitor-events.txt", text.readLines(7))
        try assertGolden("monitor-events.jsonl", json.readLines(7))
        try assertGolden("dev-show-after-aer.txt", cli(["dev", "show", "w"]).stdout)
        let parents = try cli(["parent", "show"]).stdout
        XCTAssertFalse(parents.contains("virtual/mtty"), "the pulled card is gone")
    }

    /// The JSON shapes beyond the walk-through: definitions, compat,
    /// inventory, the agent's lines and config notifications.
    func testJSONShapesOfTheOperatorCommands() throws {
        let config = try temporaryDirectory(for: self)
        func run(_ arguments: [String]) throws -> CommandResult {
            let result = try subdev(arguments, model: model, configDir: config)
            XCTAssertTrue(result.status == 0 || result.status == 2, "\(arguments): \(result.stderr)")
            return result
        }
        let (_, notifications) = try startMonitor(["-j", "config"])
        _ = try run(["dev", "define", "virtual/mtty", "type", "mtty-1", "name", "console", "autostart", "on", "label", "serial console", "parity", "even"])
        _ = try run(["dev", "define", "pci/0000:6a:01.0", "type", "dwq", "name", "too-big", "autostart", "on", "wq-size", "96",
                     "node-uid", "107", "node-gid", "107", "node-mode", "0660"])
        _ = try run(["dev", "add", "pci/0000:6a:01.0", "type", "dwq", "name", "first", "wq-size", "64"])
        let agent = Process()
        let agentOut = Pipe()
        agent.executableURL = try ModelProcess.product("subdev")
        agent.arguments = ["--port", String(model.port), "--config-dir", config, "-j", "agent"]
        agent.standardOutput = agentOut
        try agent.run()
        addTeardownBlock {
            agent.terminate()
            waitForExit(agent)
        }
        try assertGolden("agent.jsonl", agentOut.readLines(2))
        _ = try run(["dev", "set", "console", "baud", "115200"])
        _ = try run(["dev", "del", "first"])
        try assertGolden("monitor-config.jsonl", notifications.readLines(4).replacingOccurrences(of: model.root, with: "$ROOT"))
        try assertGolden("dev-list-defined.json", run(["-j", "-p", "dev", "list", "--defined"]).stdout)
        _ = try run(["dev", "add", "virtual/mtty", "type", "mtty-2", "name", "other", "label", "modem"])
        try assertGolden("compat.json", run(["-j", "-p", "dev", "compat", "console", "other"]).stdout)
        try assertGolden("inventory.json", run(["-j", "-p", "inventory", "virtual/mtty", "--node", "node-1"]).stdout)
    }

    func testInjectErrors() throws {
        for (words, message) in [
            (["inject", "aer", "pci/0000:6a:01.0", "severity", "bogus"], "Error: severity is correctable, non-fatal or fatal, not bogus\n"),
            (["inject", "aer", "pci/0000:6a:01.0"], "Error: inject aer needs severity correctable|non-fatal|fatal\n"),
            (["inject", "hotplug", "pci/0000:6a:01.0", "add"], "Error: parent pci/0000:6a:01.0 is already present\n"),
            (["inject", "hotplug", "pci/0000:6a:01.0", "unplug"], "Error: hotplug action is remove, add or cancel, not unplug\n"),
            (["inject", "surprise-remove", "pci/0000:99:00.0"], "Error: no parent pci/0000:99:00.0 is present\n"),
        ] {
            let result = try cli(words)
            XCTAssertEqual(result.status, 1, "\(words)")
            XCTAssertEqual(result.stderr, message, "\(words)")
        }
    }

    func testHelp() throws {
        try assertGolden("help.txt", cli(["--help"]).stdout)
        try assertGolden("help-dev-add.txt", cli(["dev", "add", "--help"]).stdout)
        try assertGolden("help-inject-aer.txt", cli(["inject", "aer", "--help"]).stdout)
    }
}
