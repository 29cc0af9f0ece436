import Foundation
import Subdev
import XCTest

/// `subdev inventory` over real sockets: the DRA shape, and a generation
/// that moves on every change of capacity.
final class InventoryTests: XCTestCase {
    var model: ModelProcess!

    override func setUp() async throws {
        model = try ModelProcess.start()
    }

    override func tearDown() {
        model.stop()
    }

    func inventory() throws -> [[String: Any]] {
        let object = try jsonObject(subdev(["-j", "inventory", "virtual/mtty", "--node", "n1"], model: model))
        XCTAssertEqual(object["kind"] as? String, "ResourceSliceList")
        return object["items"] as? [[String: Any]] ?? []
    }

    /// The pool's generation, the free ports, and how many devices are listed.
    func summary() throws -> (generation: Int, freePorts: String?, devices: Int) {
        let slices = try inventory()
        let specs = slices.compactMap { $0["spec"] as? [String: Any] }
        let generations = Set(specs.compactMap { ($0["pool"] as? [String: Any])?["generation"] as? Int })
        XCTAssertEqual(generations.count, 1, "every slice of a pool carries its generation")
        XCTAssertEqual(Set(specs.compactMap { ($0["pool"] as? [String: Any])?["resourceSliceCount"] as? Int }), [slices.count])
        let counters = specs.compactMap { $0["sharedCounters"] as? [[String: Any]] }.first?.first?["counters"] as? [String: [String: String]]
        let devices = specs.compactMap { $0["devices"] as? [[String: Any]] }
        XCTAssertTrue(devices.allSatisfy { $0.count <= 64 }, "DRA takes at most 64 counter-consuming devices a slice")
        return (generations.first ?? -1, counters?["ports"]?["value"], devices.map(\.count).reduce(0, +))
    }

    func testGenerationMovesOnEveryChangeOfCapacity() async throws {
        var last = try summary()
        XCTAssertEqual(last.freePorts, "24")
        XCTAssertEqual(last.devices, 24 + 12, "24 mtty-1 and 12 mtty-2 fit in 24 ports")
        let steps: [([String], String, Int)] = [
            (["dev", "add", "virtual/mtty", "type", "mtty-2", "name", "t"], "22", 22 + 11),
            (["dev", "set", "t", "baud", "19200"], "22", 22 + 11),
            (["dev", "add", "virtual/mtty", "type", "mtty-1"], "21", 21 + 10),
            (["dev", "del", "t"], "23", 23 + 11),
        ]
        for (command, free, devices) in steps {
            let result = try subdev(command, model: model)
            XCTAssertEqual(result.status, 0, result.stderr)
            let now = try summary()
            XCTAssertGreaterThan(now.generation, last.generation, "\(command) changed capacity")
            XCTAssertEqual(now.freePorts, free, "\(command)")
            XCTAssertEqual(now.devices, devices, "\(command)")
            last = now
        }
        // Reads and failed requests change nothing.
        XCTAssertEqual(try subdev(["dev", "add", "virtual/mtty", "type", "mtty-1", "baud", "1"], model: model).status, 1)
        XCTAssertEqual(try subdev(["dev", "show"], model: model).status, 0)
        XCTAssertEqual(try summary().generation, last.generation)
        // The other parents' generations did not move with mtty's.
        let parents = try await SubdevClient.connect(port: model.port).parents()
        let generations = Dictionary(uniqueKeysWithValues: parents.map { ($0.handle.description, $0.generation ?? 0) })
        XCTAssertEqual(generations["virtual/mtty"], UInt64(last.generation))
        XCTAssertLessThan(generations["pci/0000:6a:01.0"] ?? .max, UInt64(last.generation))
    }

    func testDevicesCarryTypedAttributesAndConsumeTheSharedCounters() throws {
        let slices = try inventory()
        let devices = slices.compactMap { ($0["spec"] as? [String: Any])?["devices"] as? [[String: Any]] }.flatMap { $0 }
        let first = try XCTUnwrap(devices.first { $0["name"] as? String == "mtty-2-0" })
        let attributes = try XCTUnwrap(first["attributes"] as? [String: [String: Any]])
        XCTAssertEqual(attributes["type"]?["string"] as? String, "mtty-2")
        XCTAssertEqual(attributes["ports"]?["int"] as? Int, 2)
        XCTAssertEqual(attributes["migratable"]?["bool"] as? Bool, true)
        let consumes = try XCTUnwrap(first["consumesCounters"] as? [[String: Any]])
        XCTAssertEqual(consumes.first?["counterSet"] as? String, "virtual-mtty")
        XCTAssertEqual((consumes.first?["counters"] as? [String: [String: String]])?["ports"]?["value"], "2")
        // Names are what the API takes: DNS labels, and C identifiers for attributes.
        let label = try NSRegularExpression(pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        for name in devices.compactMap({ $0["name"] as? String }) {
            XCTAssertNotNil(label.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)), name)
        }
        let identifier = try NSRegularExpression(pattern: "^[A-Za-z_][A-Za-z0-9_]{0,31}$")
        for name in devices.flatMap({ ($0["attributes"] as? [String: Any] ?? [:]).keys }) {
            XCTAssertNotNil(identifier.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)), name)
        }
    }
}
