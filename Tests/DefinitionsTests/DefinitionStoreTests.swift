import Foundation
import Subdev
import SubdevDefinitions
import XCTest

final class DefinitionStoreTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = NSTemporaryDirectory() + "subdev-definitions-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testSaveLoadRoundTripKeepsTypedValues() throws {
        let store = DefinitionStore(configDirectory: directory)
        let definition = DeviceDefinition(name: "vm0", parent: "pci/0000:6a:01.0", type: "dwq",
                                          params: ["wq-size": .number(32), "block-on-fault": .bool(true), "label": .text("x y")],
                                          state: "down", node: DefinedNode(uid: 1000, gid: 1000, mode: "0660"), autostart: true)
        try store.save(definition)
        XCTAssertEqual(try store.load("vm0"), definition)
        XCTAssertEqual(store.all().definitions, [definition])
        // One file per definition, named after it, and no temporary left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory), ["vm0.json"])
        let text = try String(contentsOfFile: store.directory + "/vm0.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"wq-size\" : 32"), text)
        XCTAssertTrue(text.contains("\"block-on-fault\" : true"), text)
    }

    func testSaveReplacesAndRemoveDeletes() throws {
        let store = DefinitionStore(configDirectory: directory)
        var definition = DeviceDefinition(name: "a", parent: "virtual/mtty", type: "mtty-1")
        try store.save(definition)
        definition.autostart = true
        try store.save(definition)
        XCTAssertEqual(try store.load("a").autostart, true)
        try store.remove("a")
        XCTAssertThrowsError(try store.load("a")) { error in
            XCTAssertTrue("\(error)".contains("no definition named a"), "\(error)")
        }
        XCTAssertThrowsError(try store.remove("a"))
    }

    func testInvalidDefinitionsAreRefusedNamingTheField() throws {
        let store = DefinitionStore(configDirectory: directory)
        let cases: [(DeviceDefinition, String)] = [
            (DeviceDefinition(name: "a/b", parent: "virtual/mtty", type: "mtty-1"), "name \"a/b\""),
            (DeviceDefinition(name: "", parent: "virtual/mtty", type: "mtty-1"), "name \"\""),
            (DeviceDefinition(name: "a", parent: "mtty", type: "mtty-1"), "parent mtty"),
            (DeviceDefinition(name: "a", parent: "virtual/mtty", type: "mtty-1", state: "sideways"), "state sideways"),
            (DeviceDefinition(name: "a", parent: "virtual/mtty", type: "mtty-1", node: DefinedNode(mode: "999")), "node mode 999"),
        ]
        for (definition, fault) in cases {
            XCTAssertThrowsError(try store.save(definition)) { error in
                XCTAssertTrue("\(error)".contains(fault), "\(error) should name \(fault)")
            }
        }
        XCTAssertEqual(store.all().definitions, [])
    }

    func testUnreadableFilesAreReportedAndOthersStillRead() throws {
        let store = DefinitionStore(configDirectory: directory)
        try store.save(DeviceDefinition(name: "good", parent: "virtual/mtty", type: "mtty-1"))
        try Data("{\"name\": \"bad\", \"parent\": \"virtual/mtty\"}".utf8).write(to: URL(fileURLWithPath: store.directory + "/bad.json"))
        try Data("{\"name\": \"other\", \"parent\": \"virtual/mtty\", \"type\": \"mtty-1\", \"params\": {}, \"autostart\": false}".utf8)
            .write(to: URL(fileURLWithPath: store.directory + "/misnamed.json"))
        let (definitions, problems) = store.all()
        XCTAssertEqual(definitions.map(\.name), ["good"])
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("bad.json") && $0.contains("type") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("misnamed.json") && $0.contains("other.json") }, "\(problems)")
    }

    func testValuesAreReadByTheSchema() throws {
        let schema = [
            ParamInfo(name: "wq-size", kind: .u32, min: 1, max: 96, defaultValue: .int(16), choices: [], mutable: false, optional: false, doc: ""),
            ParamInfo(name: "ats-disable", kind: .bool, min: nil, max: nil, defaultValue: .int(0), choices: [], mutable: false, optional: false, doc: ""),
        ]
        let stored = DeviceDefinition(name: "a", parent: "pci/0000:6a:01.0", type: "dwq",
                                      params: ["wq-size": .text("0x20"), "ats-disable": .text("on")])
        let device = try stored.newDevice(schema: schema)
        XCTAssertEqual(device.params.map(\.0), ["ats-disable", "wq-size"])
        XCTAssertEqual(device.params.map(\.1), [.int(1), .int(32)])
        let wrong = DeviceDefinition(name: "a", parent: "pci/0000:6a:01.0", type: "dwq", params: ["wq-size": .bool(true)])
        XCTAssertThrowsError(try wrong.newDevice(schema: schema)) { XCTAssertTrue("\($0)".contains("wq-size"), "\($0)") }
        let unknown = DeviceDefinition(name: "a", parent: "pci/0000:6a:01.0", type: "dwq", params: ["colour": .text("red")])
        XCTAssertThrowsError(try unknown.newDevice(schema: schema)) { XCTAssertTrue("\($0)".contains("colour"), "\($0)") }
    }
}
