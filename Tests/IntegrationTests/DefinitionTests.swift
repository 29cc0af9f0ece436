import Foundation
import XCTest

/// Persistent definitions and autostart over real sockets: `subdev dev
/// define` and friends, and the agent inside `subdevd --config-dir`.
final class DefinitionTests: XCTestCase {
    /// The embedded machine's mtty card moved to an empty slot, for hotplug adds.
    static let hardwareWithEmptySlot = """
        parents:
          - bus: pci
            name: "0000:6a:01.0"
            driver: idxd
            iommu-group: 14
            config: {device: dsa, wqs: 8, wq-entries: 128, engines: 4, groups: 4, pasids: 64}
          - bus: virtual
            name: mtty
            driver: mtty
            iommu-group: 0
            present: false
            config: {ports: 24}
        """

    func device(_ name: String, model: ModelProcess) throws -> [String: Any]? {
        let result = try subdev(["-j", "dev", "show"], model: model)
        let devices = try jsonObject(result)["dev"] as? [String: [String: Any]] ?? [:]
        return devices.values.first { $0["name"] as? String == name }
    }

    func testDefinedSubdeviceIsRecreatedByAutostartAfterEveryRestart() throws {
        let config = try temporaryDirectory(for: self)
        var model = try ModelProcess.start()
        let define = try subdev(["dev", "define", "pci/0000:6a:01.0", "type", "dwq", "name", "vm0", "autostart", "on",
                                 "wq-size", "32", "block-on-fault", "true", "priority", "3"], model: model, configDir: config)
        XCTAssertEqual(define.status, 0, define.stderr)
        XCTAssertEqual(define.stdout, "vm0: parent pci/0000:6a:01.0 type dwq autostart on\n  params block-on-fault true priority 3 wq-size 32\n")
        XCTAssertNil(try device("vm0", model: model), "define creates nothing")
        // Stored typed, as the live schema read the words.
        let stored = try String(contentsOfFile: config + "/definitions/vm0.json", encoding: .utf8)
        XCTAssertTrue(stored.contains("\"wq-size\" : 32") && stored.contains("\"block-on-fault\" : true"), stored)
        model.stop()

        for round in 1...2 {
            model = try ModelProcess.start(arguments: ["--config-dir", config])
            var found: [String: Any]?
            XCTAssertTrue(try eventually { found = try device("vm0", model: model); return found != nil },
                          "round \(round): autostart did not create vm0")
            XCTAssertEqual(found?["type"] as? String, "dwq")
            let params = found?["params"] as? [String: Any]
            XCTAssertEqual(params?["wq-size"] as? Int, 32)
            XCTAssertEqual(params?["block-on-fault"] as? Bool, true)
            XCTAssertEqual(params?["priority"] as? Int, 3)
            let listed = try jsonObject(subdev(["-j", "dev", "list", "--defined"], model: model, configDir: config))
            let entry = (listed["definitions"] as? [String: [String: Any]])?["vm0"]
            XCTAssertEqual(entry?["active"] as? Bool, true)
            XCTAssertEqual(entry?["autostart"] as? Bool, true)
            model.stop()
            XCTAssertTrue(model.standardError().contains("subdevd: autostart: vm0 started as pci/0000:6a:01.0/0"), model.standardError())
        }
    }

    func testStartStopAutostartAndUndefineByName() throws {
        let config = try temporaryDirectory(for: self)
        let model = try ModelProcess.start()
        func run(_ arguments: [String]) throws -> CommandResult { try subdev(arguments, model: model, configDir: config) }
        XCTAssertEqual(try run(["dev", "define", "virtual/mtty", "type", "mtty-2", "name", "tty0", "label", "console"]).status, 0)
        let start = try run(["dev", "start", "tty0"])
        XCTAssertEqual(start.status, 0, start.stderr)
        XCTAssertTrue(start.stdout.hasPrefix("virtual/mtty/0: name tty0 type mtty-2"), start.stdout)
        XCTAssertEqual(try run(["dev", "list", "--defined"]).stdout,
                       "tty0: parent virtual/mtty type mtty-2 autostart off active\n  params label console\n")
        // Starting it twice is the family's EEXIST, named.
        let again = try run(["dev", "start", "tty0"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "Error: a subdevice named tty0 already exists\n")
        XCTAssertEqual(try run(["dev", "stop", "tty0"]).status, 0)
        XCTAssertNil(try device("tty0", model: model))
        XCTAssertEqual(try run(["dev", "autostart", "tty0", "on"]).status, 0)
        XCTAssertTrue(try run(["dev", "list", "--defined"]).stdout.hasPrefix("tty0: parent virtual/mtty type mtty-2 autostart on inactive"))
        XCTAssertEqual(try run(["dev", "undefine", "tty0"]).status, 0)
        XCTAssertEqual(try run(["dev", "list", "--defined"]).stdout, "")

        let cases: [([String], String)] = [
            (["dev", "define", "virtual/mtty", "type", "mtty-2"], "Error: dev define needs name NAME: it names the definition\n"),
            (["dev", "define", "virtual/mtty", "type", "mtty-2", "name", "a", "baud", "fast"], "Error: baud is a u32 and fast is not a number\n"),
            (["dev", "define", "virtual/mtty", "type", "mtty-9", "name", "a"], "Error: parent virtual/mtty has no type mtty-9\n"),
            (["dev", "define", "virtual/mtty", "type", "mtty-1", "name", "a", "autostart", "maybe"], "Error: autostart takes on or off, not maybe\n"),
            (["dev", "start", "ghost"], "Error: no definition named ghost in \(config)/definitions\n"),
            (["dev", "autostart", "ghost", "on"], "Error: no definition named ghost in \(config)/definitions\n"),
            (["dev", "undefine", "ghost"], "Error: no definition named ghost in \(config)/definitions\n"),
        ]
        for (arguments, expected) in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.stderr, expected, "\(arguments)")
        }
        XCTAssertEqual(try run(["dev", "list", "--defined"]).stdout, "", "failed defines stored nothing")
        XCTAssertEqual(try run(["-j", "dev", "show"]).stdout, "{\"dev\":{}}\n", "and created nothing")
    }

    func testAutostartWaitsForAHotplugAddAndReportsFailuresOnce() throws {
        let config = try temporaryDirectory(for: self)
        let hardware = config + "/hw.yaml"
        try Self.hardwareWithEmptySlot.write(toFile: hardware, atomically: true, encoding: .utf8)
        // Defined while the parent is absent: the values wait for its schema.
        var model = try ModelProcess.start(arguments: ["--hardware", hardware])
        let define = try subdev(["dev", "define", "virtual/mtty", "type", "mtty-1", "name", "late", "autostart", "on", "baud", "115200"],
                                model: model, configDir: config)
        XCTAssertEqual(define.status, 0, define.stderr)
        XCTAssertTrue(define.stderr.hasPrefix("Note: virtual/mtty is not present"), define.stderr)
        // Two that cannot both fit: the second (by name) must be reported once, not retried on every change.
        for name in ["greedy-a", "greedy-b"] {
            XCTAssertEqual(try subdev(["dev", "define", "pci/0000:6a:01.0", "type", "dwq", "name", name, "autostart", "on",
                                       "wq-size", "96"], model: model, configDir: config).status, 0)
        }
        model.stop()

        model = try ModelProcess.start(arguments: ["--hardware", hardware, "--config-dir", config, "--hotplug-window-ms", "50"])
        XCTAssertTrue(try eventually { try device("greedy-a", model: model) != nil })
        XCTAssertNil(try device("late", model: model))
        let add = try subdev(["inject", "hotplug", "virtual/mtty", "add", "window", "50"], model: model)
        XCTAssertEqual(add.status, 0, add.stderr)
        var late: [String: Any]?
        XCTAssertTrue(try eventually { late = try device("late", model: model); return late != nil },
                      "the hotplug add did not start late")
        XCTAssertEqual((late?["params"] as? [String: Any])?["baud"] as? Int, 115200)
        // Another appearance of a parent, and greedy-a's room coming free, do not retry greedy-b.
        XCTAssertEqual(try subdev(["dev", "del", "greedy-a"], model: model).status, 0)
        XCTAssertEqual(try subdev(["inject", "hotplug", "virtual/mtty", "remove", "window", "50"], model: model).status, 0)
        XCTAssertTrue(try eventually { try subdev(["parent", "show", "virtual/mtty"], model: model).status != 0 })
        XCTAssertEqual(try subdev(["inject", "hotplug", "virtual/mtty", "add", "window", "50"], model: model).status, 0)
        XCTAssertTrue(try eventually { try device("late", model: model) != nil }, "late comes back with its parent")
        model.stop()
        let log = model.standardError()
        let greedy = log.components(separatedBy: "\n").filter { $0.contains("autostart: greedy-b failed") }
        XCTAssertEqual(greedy.count, 1, log)
        XCTAssertTrue(greedy.first?.contains("wq-entries") == true, "the reason names what is short: \(log)")
        XCTAssertEqual(log.components(separatedBy: "autostart: late started").count - 1, 2, log)
    }
}
