import XCTest
import Foundation
import SubdevPlugin

/// The plugin interface's JSON stays readable for plugins written before a
/// field was added.
final class PluginJSONTests: XCTestCase {
    func testTypeSpecWithoutNewerFieldsTakesTheirDefaults() throws {
        let json = #"{"name":"accel","typeClass":"other","description":"an accelerator"}"#
        let type = try JSONDecoder().decode(TypeSpec.self, from: Data(json.utf8))
        XCTAssertEqual(type.name, "accel")
        XCTAssertEqual(type.registration, .emulatedIOMMU)
        XCTAssertEqual(type.deviceAPI, "vfio-pci")
        XCTAssertEqual(type.params, [])
        XCTAssertEqual(type.migration, .unsupported)
    }

    func testTypeSpecRoundTrips() throws {
        let type = TypeSpec(name: "slot", typeClass: .other, description: "d",
                            params: [ParamSchema(name: "luts", kind: .u32, min: 1, max: 9, defaultValue: .int(3), doc: "x")],
                            display: .region, migration: Migration(supported: true, compatibility: "c"),
                            capabilities: [.string("k", "v")], registration: .iommuGroup)
        let decoded = try JSONDecoder().decode(TypeSpec.self, from: JSONEncoder().encode(type))
        XCTAssertEqual(decoded, type)
    }
}
