import XCTest
import SubdevPlugin
@testable import SubdevModel

/// Hardware descriptions: the embedded default loads; every bad one is
/// refused with the line and the field at fault.
final class HardwareFileTests: XCTestCase {
    func load(_ yaml: String) throws -> Machine {
        try HardwareFile.load(yaml, plugins: .builtIn)
    }

    func assertRefused(_ yaml: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(yaml), file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    func testEmbeddedDefault() throws {
        let machine = try load(try HardwareFile.embeddedDefault())
        XCTAssertEqual(machine.parents.map(\.handle), ["pci/0000:6a:01.0", "pci/0000:3b:00.0", "virtual/mtty"])
        XCTAssertEqual(machine.parents.map(\.plugin.driver), ["idxd", "vgpu", "mtty"])
    }

    /// A rack of one card is described once per card; the cards share one
    /// spec in memory, so that a request on any of them reads warm memory.
    /// Cards that differ in any way keep their own.
    func testParentsDescribedAlikeShareOneSpec() throws {
        let machine = try load("""
            parents:
              - { bus: virtual, name: a, driver: mtty, config: { ports: 8 } }
              - { bus: virtual, name: b, driver: mtty, config: { ports: 8 } }
              - { bus: virtual, name: c, driver: mtty, config: { ports: 4 } }
              - { bus: virtual, name: d, driver: mtty, vendor: Other, config: { ports: 8 } }
            """)
        func storage(_ position: Int) -> UnsafeRawPointer? {
            machine.parents[position].spec.types.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
        }
        XCTAssertEqual(machine.parents[0].spec, machine.parents[1].spec)
        XCTAssertEqual(storage(0), storage(1), "a and b are alike and share their types")
        XCTAssertNotEqual(machine.parents[0].spec, machine.parents[2].spec)
        XCTAssertNotEqual(machine.parents[0].spec, machine.parents[3].spec)
        XCTAssertEqual(machine.parents[3].spec.vendor, "Other")
        XCTAssertNotEqual(storage(0), storage(3), "d's vendor differs, so d keeps its own spec")
        XCTAssertEqual(machine.parents.map { $0.spec.counters.map(\.name) }, Array(repeating: ["ports"], count: 4))
    }

    func testAParentNotPresentIsAnEmptySlotForHotplug() throws {
        var machine = try load("""
            parents:
              - { bus: virtual, name: mtty, driver: mtty }
              - { bus: virtual, name: spare, driver: mtty, present: false }
            """)
        XCTAssertEqual(machine.parents.map(\.handle), ["virtual/mtty"])
        XCTAssertEqual(machine.slots.map(\.handle), ["virtual/spare"])
        let added = machine.addParent(slot: 0)
        XCTAssertEqual(added.handle, "virtual/spare")
        XCTAssertEqual(machine.parents.map(\.handle), ["virtual/mtty", "virtual/spare"])
        XCTAssertEqual(machine.removeParent(0).handle, "virtual/mtty")
        XCTAssertEqual(machine.slots.map(\.handle), ["virtual/mtty"])
        assertRefused("""
            parents:
              - { bus: virtual, name: spare, driver: mtty, present: maybe }
            """, "line 2: parents[0].present: expected true or false, got 'maybe'")
    }

    func testBadSize() {
        assertRefused("""
            parents:
              - bus: pci
                name: "0000:3b:00.0"
                driver: vgpu
                config:
                  framebuffer: lots
            """, "line 6: parents[0].config.framebuffer: expected a size such as 48GiB, got 'lots'")
    }

    func testUnknownField() {
        assertRefused("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config:
                  wqs: 8
                  wq-entires: 128
            """, "line 7: parents[0].config.wq-entires: unknown field wq-entires (known: device, wqs, wq-entries, engines, groups, pasids, shared-wqs)")
    }

    func testUnknownDriver() {
        assertRefused("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: qat
            """, "line 4: parents[0].driver: no plugin for driver qat (loaded: idxd, mtty, vgpu)")
    }

    func testMissingField() {
        assertRefused("""
            parents:
              - bus: pci
                driver: idxd
            """, "line 2: parents[0].name: missing field name")
    }

    func testOutOfRange() {
        assertRefused("""
            parents:
              - bus: virtual
                name: mtty
                driver: mtty
                config: { ports: 0 }
            """, "line 5: parents[0].config.ports: 0 out of range 1..1024")
    }

    func testSharedWQsLargerThanTheDevice() {
        assertRefused("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config:
                  wq-entries: 16
                  shared-wqs:
                    - size: 10
                    - size: 10
            """, "line 8: parents[0].config.shared-wqs: shared WQs take 20 entries but the device has 16")
    }

    func testDuplicateParent() {
        assertRefused("""
            parents:
              - { bus: virtual, name: mtty, driver: mtty }
              - { bus: virtual, name: mtty, driver: mtty }
            """, "line 3: parents[1].name: parent virtual/mtty is described twice")
    }

    func testNotYAML() {
        XCTAssertThrowsError(try load("parents:\n  - bus: [unclosed\n")) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(error.line, 0)
            XCTAssertTrue(error.message.hasPrefix("not valid YAML"), error.message)
        }
    }

    func testUnknownSeries() {
        assertRefused("""
            parents:
              - bus: pci
                name: "0000:3b:00.0"
                driver: vgpu
                config: { series: [Q, Z] }
            """, "line 5: parents[0].config.series[1]: 'Z' is not one of Q, B, C, A")
    }
}
