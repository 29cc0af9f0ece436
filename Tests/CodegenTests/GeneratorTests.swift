import Foundation
@testable import SubdevCodegen
import XCTest

/// The generator on small specs and on broken copies of the real one.
final class GeneratorTests: XCTestCase {
    // MARK: - Resolution

    func testResolvesTheSubdevSpec() throws {
        let family = try parseSpec(yaml: try TestSupport.specText())
        XCTAssertEqual(family.name, "subdev")
        XCTAssertEqual(family.version, 1)
        XCTAssertEqual(family.uapiHeader, "linux/subdev.h")
        XCTAssertEqual(Array(family.consts.map(\.name).prefix(3)), ["version", "name-len", "string-value-len"])
        XCTAssertEqual(family.consts.first { $0.name == "name-len" }?.value, 63)
        XCTAssertEqual(family.attributeSets.map(\.name), ["counter", "aer-stats", "parent", "param", "type", "iova-range", "holder", "vfio", "event", "dev", "compat"])
        XCTAssertEqual(family.operations.map(\.value), Array(1...19))

        let name = try XCTUnwrap(family.attributeSet(named: "dev")?.attribute(named: "name"))
        XCTAssertEqual(name.minLength, 1)
        XCTAssertEqual(name.maxLength, 63)
        XCTAssertEqual(name.checkSummary, ["min-len 1", "max-len 63 (name-len)"])

        let devSet = try XCTUnwrap(family.operation(named: "dev-set"))
        XCTAssertNotNil(devSet.doPart)
        XCTAssertNil(devSet.doPart?.reply, "dev-set's do has no reply")
        XCTAssertNil(devSet.dumpPart)

        let devGet = try XCTUnwrap(family.operation(named: "dev-get"))
        XCTAssertEqual(devGet.doPart?.reply?.count, 18, "the YAML alias &dev-all is expanded")
        XCTAssertEqual(family.notifications(of: "dev-get").map(\.name), ["dev-new-ntf", "dev-change-ntf", "dev-del-ntf"])
    }

    func testValuesKeywordsAndMaxima() throws {
        let files = try generateAll(specYAML: Self.demoSpec, specPath: "demo.yaml")
        XCTAssertEqual(files.map(\.path), ["Sources/DemoUAPI/DemoUAPI.generated.swift", "include/uapi/linux/demo.h", "Docs/uapi.md"])
        let family = try parseSpec(yaml: Self.demoSpec)

        // value-start and explicit values.
        let colour = try XCTUnwrap(family.enumDefinition(named: "colour"))
        XCTAssertEqual(colour.entries.map(\.value), [2, 7, 8])
        let thing = try XCTUnwrap(family.attributeSet(named: "thing"))
        XCTAssertEqual(thing.attributes.map(\.id), [5, 6, 7, 8, 9])
        XCTAssertEqual(family.operations.map(\.value), [1, 10, 11])

        // An enum attribute ranges over the enum's values, unless checks say otherwise.
        let colourAttribute = try XCTUnwrap(thing.attribute(named: "colour"))
        XCTAssertEqual(colourAttribute.min, 2)
        XCTAssertEqual(colourAttribute.max, 8)
        let capped = try XCTUnwrap(thing.attribute(named: "capped"))
        XCTAssertEqual(capped.min, -128)
        XCTAssertEqual(capped.max, 7)
        let limit = try XCTUnwrap(thing.attribute(named: "limit"))
        XCTAssertEqual(limit.max, UInt64.max)
        XCTAssertEqual(limit.min, 3)
        XCTAssertEqual(thing.attribute(named: "label")?.maxLength, 15)

        let swift = files[0].contents
        XCTAssertTrue(swift.contains("public enum DemoColour: UInt32, Sendable, CaseIterable, CustomStringConvertible {"))
        XCTAssertTrue(swift.contains("    case red = 2\n"))
        XCTAssertTrue(swift.contains("    case `default` = 8\n"), "keywords are escaped")
        XCTAssertTrue(swift.contains("case .`default`: return \"default\""))
        XCTAssertTrue(swift.contains("case `default` = 10"))
        XCTAssertTrue(swift.contains("public enum DemoThingAttr: UInt16, Sendable, CaseIterable {"))
        XCTAssertTrue(swift.contains("AttributePolicy(id: 6, name: \"colour\", type: .u16, min: 2, max: 8, enumName: \"colour\")"))
        XCTAssertTrue(swift.contains("AttributePolicy(id: 7, name: \"capped\", type: .s8, min: -128, max: 7)"))
        XCTAssertTrue(swift.contains("OperationPolicy(command: 10, name: \"default\", attributeSet: \"thing\", doRequest: nil, dumpRequest: [], adminPerm: false)"))
        XCTAssertTrue(swift.contains("\"colour\": [\"red\", \"green\", \"default\"]"))
        XCTAssertTrue(swift.contains("case linkEvents = \"link-events\""))

        let header = files[1].contents
        XCTAssertTrue(header.contains("\tDEMO_COLOUR_RED = 2,\n\tDEMO_COLOUR_GREEN = 7,\n\tDEMO_COLOUR_DEFAULT,\n"))
        XCTAssertTrue(header.contains("\t__DEMO_COLOUR_MAX,\n\tDEMO_COLOUR_MAX = (__DEMO_COLOUR_MAX - 1)\n"), "render-max")
        XCTAssertTrue(header.contains("\tDEMO_A_THING_ID = 5,\n"))
        XCTAssertTrue(header.contains("\tDEMO_A_HOLDER_MAX_ATTR = (__DEMO_A_HOLDER_MAX - 1)\n"), "an attribute called max keeps its name")
        XCTAssertTrue(header.contains("\tDEMO_CMD_DEFAULT = 10,\n"))
        XCTAssertTrue(header.contains("#define DEMO_MCGRP_LINK_EVENTS \"link-events\""))
        XCTAssertFalse(header.contains("/* nested */"), "comment markers inside docs are defused")
    }

    /// Generic enough for the kernel's own specs, and clear about what it does not do.
    func testKernelSpecs() throws {
        let handshake = try parseSpec(yaml: String(contentsOf: try TestSupport.sharedFile("handshake.yaml"), encoding: .utf8))
        XCTAssertEqual(handshake.operation(named: "ready")?.attributeSet, "accept")
        XCTAssertNil(handshake.operation(named: "ready")?.multicastGroup)
        let drmRas = try generateAll(specYAML: String(contentsOf: try TestSupport.sharedFile("drm_ras.yaml"), encoding: .utf8))
        XCTAssertEqual(drmRas.map(\.path), ["Sources/DrmRasUAPI/DrmRasUAPI.generated.swift", "include/uapi/drm/drm_ras.h", "Docs/uapi.md"])
        XCTAssertTrue(drmRas[1].contents.contains("#ifndef _UAPI_DRM_DRM_RAS_H"))

        let psp = try String(contentsOf: try TestSupport.sharedFile("psp.yaml"), encoding: .utf8)
        try expectError(psp, .unsupported, mentioning: ["attribute-sets[dev].attributes[psp-versions-cap].enum-as-flags"])
    }

    // MARK: - Errors

    func testUnknownConstInChecks() throws {
        let spec = try TestSupport.specText().replacingFirst("max-len: name-len", with: "max-len: no-such-const")
        try expectError(spec, .unknownConst, mentioning: ["no-such-const", "attribute-sets[counter].attributes[name].checks.max-len"])
        let minSpec = try TestSupport.specText().replacingFirst("min-len: 1", with: "min-len: nope - 1")
        try expectError(minSpec, .unknownConst, mentioning: ["'nope'", "attribute-sets[dev].attributes[name].checks.min-len"])
    }

    func testUnknownNestedSet() throws {
        let spec = try TestSupport.specText().replacingFirst("nested-attributes: counter", with: "nested-attributes: counters")
        try expectError(spec, .unknownAttributeSet, mentioning: ["'counters'", "attribute-sets[parent].attributes[counter].nested-attributes"])
    }

    func testNotifyNamesUnknownOperation() throws {
        let spec = try TestSupport.specText().replacingFirst("notify: dev-get", with: "notify: dev-gone")
        try expectError(spec, .unknownOperation, mentioning: ["'dev-gone'", "operations[dev-new-ntf].notify"])
    }

    func testUnknownMulticastGroup() throws {
        let spec = try TestSupport.specText().replacingFirst("mcgrp: config", with: "mcgrp: nowhere")
        try expectError(spec, .unknownMulticastGroup, mentioning: ["'nowhere'", "operations[dev-new-ntf].mcgrp"])
    }

    func testUnknownAttributeInRequest() throws {
        let spec = try TestSupport.specText().replacingFirst("[ bus-name, dev-name, type, name,", with: "[ bus-name, dev-name, type, nickname,")
        try expectError(spec, .unknownAttribute, mentioning: ["'nickname'", "set 'dev'", "operations[dev-new].do.request"])
    }

    func testUnknownEnum() throws {
        let spec = try TestSupport.specText().replacingFirst("enum: admin-state", with: "enum: name-len")
        try expectError(spec, .unknownEnum, mentioning: ["'name-len' is a const", "attribute-sets[dev].attributes[admin-state].enum"])
    }

    func testUnknownAttributeType() throws {
        let spec = try TestSupport.specText().replacingFirst("        name: total\n        type: u64", with: "        name: total\n        type: u128")
        try expectError(spec, .malformed, mentioning: ["'u128'", "attribute-sets[counter].attributes[total].type"])
    }

    func testDuplicateAttributeValue() throws {
        let spec = try TestSupport.specText().replacingFirst("        name: total\n", with: "        name: total\n        value: 1\n")
        try expectError(spec, .duplicate, mentioning: ["attribute-sets[counter].attributes[total]", "'name'"])
    }

    func testEnumTooWideForItsAttribute() throws {
        let spec = try TestSupport.specText().replacingFirst("        name: error\n", with: "        name: error\n        value: 300\n")
        try expectError(spec, .invalidValue, mentioning: ["attribute-sets[dev].attributes[oper-state].enum", "300", "u8"])
    }

    func testCollidingCNames() throws {
        let spec = try TestSupport.specText().replacingFirst("""
              -
                type: enum
                name: admin-state
            """, with: """
              -
                type: const
                name: a-dev-max
                value: 1
              -
                type: enum
                name: admin-state
            """)
        try expectError(spec, .duplicate, mentioning: ["SUBDEV_A_DEV_MAX", "definitions[a-dev-max]"])
    }

    func testUnsupportedFlagsDefinition() throws {
        let spec = try TestSupport.specText().replacingFirst("    type: enum\n    name: display", with: "    type: flags\n    name: display")
        try expectError(spec, .unsupported, mentioning: ["definitions[display]", "flags"])
    }

    func testMalformedYAML() throws {
        try expectError("name: [subdev\n", .malformed, mentioning: ["YAML"])
        try expectError("name: subdev\ndoc: x\nattribute-sets: []\n", .malformed, mentioning: ["'operations' is missing"])
    }

    // MARK: - Helpers

    private func expectError(
        _ yaml: String, _ kind: CodegenError.Kind, mentioning fragments: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        do {
            let files = try generateAll(specYAML: yaml)
            XCTFail("expected a \(kind) error, but generated \(files.map(\.path))", file: file, line: line)
        } catch {
            XCTAssertEqual(error.kind, kind, error.description, file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "'\(fragment)' is not in: \(error.description)", file: file, line: line)
            }
        }
    }

    /// A small spec that uses explicit values, value-start, render-max,
    /// keywords and limits.
    static let demoSpec = """
        name: demo
        protocol: genetlink
        doc: A family for tests; /* nested */ comment markers stay harmless.
        definitions:
          -
            type: const
            name: label-len
            value: 16
          -
            type: enum
            name: colour
            doc: A colour.
            value-start: 2
            render-max: true
            entries:
              - red
              - { name: green, value: 7, doc: Green. }
              - default
        attribute-sets:
          -
            name: thing
            doc: A thing.
            attributes:
              - { name: id, type: u32, value: 5 }
              - { name: colour, type: u16, enum: colour }
              - { name: capped, type: s8, checks: { min: s8-min, max: 7 } }
              - { name: limit, type: u64, checks: { min: 3, max: u64-max } }
              - { name: label, type: string, checks: { max-len: label-len - 1 } }
          -
            name: holder
            attributes:
              - { name: max, type: nest, nested-attributes: thing, multi-attr: true }
        operations:
          list:
            -
              name: get
              doc: Get a thing.
              attribute-set: thing
              flags: [ admin-perm ]
              do:
                request: { attributes: [ id ] }
                reply: { attributes: [ id, colour, label ] }
            -
              name: default
              value: 10
              doc: The default thing.
              attribute-set: thing
              dump:
                reply: { attributes: [ id ] }
            -
              name: thing-ntf
              doc: A thing changed.
              notify: get
              mcgrp: link-events
        mcast-groups:
          list:
            - name: link-events
        """
}
