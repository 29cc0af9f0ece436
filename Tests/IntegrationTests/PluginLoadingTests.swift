import Foundation
import XCTest
import Netlink
import Subdev
import SubdevUAPI
import SubdevVMM

/// Plugins shipped as shared libraries: the sample plugin, built as a
/// product of its own, loaded into subdevd with --plugin-dir; libraries
/// subdevd must refuse, each with a message that says why.
final class PluginLoadingTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let card = ParentHandle(bus: "pci", name: "0000:af:00.0")

    /// A fresh directory with `files` copied in, removed after the test.
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func hardware(in directory: URL, driver: String = "sample-fpga") throws -> URL {
        let file = directory.appendingPathComponent("hardware.yaml")
        try """
        parents:
          - bus: pci
            name: "0000:af:00.0"
            driver: \(driver)
            iommu-group: 50
            config: { slots: 2, luts: 300 }
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func installSamplePlugin(into directory: URL) throws {
        let library = ModelProcess.productsDirectory.appendingPathComponent("libSampleSubdevPlugin.so")
        guard FileManager.default.fileExists(atPath: library.path) else {
            throw XCTSkip("libSampleSubdevPlugin.so is not built at \(library.path): run 'swift build' before 'swift test'")
        }
        try FileManager.default.copyItem(at: library, to: directory.appendingPathComponent("libSampleSubdevPlugin.so"))
    }

    /// Builds Tests/Fixtures/c-plugin.c into `directory` as `name`.
    func buildCPlugin(_ name: String, abi: Int, driver: String, into directory: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") else {
            throw XCTSkip("gcc is not installed; the README's setup installs it")
        }
        let result = try runProcess("/usr/bin/gcc", ["-shared", "-fPIC", "-Wall", "-Werror", "-DABI_VERSION=\(abi)",
                                                      "-DDRIVER=\"\(driver)\"", "-o", directory.appendingPathComponent(name).path,
                                                      Self.packageRoot.appendingPathComponent("Tests/Fixtures/c-plugin.c").path])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testSamplePluginLoadsAndServesItsTypes() async throws {
        let plugins = try directory()
        try installSamplePlugin(into: plugins)
        let model = try ModelProcess.start(arguments: ["--plugin-dir", plugins.path, "--hardware", try hardware(in: plugins).path])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let parent = try await client.parent(card)
        XCTAssertEqual(parent.driver, "sample-fpga")
        XCTAssertEqual(parent.vendor, "Example Logic Inc.")
        XCTAssertEqual(parent.typeNames, ["accel", "flaky", "broken"])
        let accel = try await client.type("accel", of: card)
        XCTAssertEqual(accel.available, 2)
        XCTAssertEqual(accel.capabilities.map(\.name), ["region-kind"])
        let device = try await client.createDevice(parent: card, type: "accel",
                                                   params: [("luts", .int(200)), ("bitstream", .string("aes"))])
        XCTAssertEqual(device.details.first { $0.name == "region" }?.value, .int(0))
        await XCTAssertThrowsErrno(EINVAL, try await client.createDevice(parent: card, type: "accel"),
                                   message: "type accel needs parameter bitstream")
        _ = try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("aes"))])
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("aes"))]),
                                   message: "not enough slots on pci/0000:af:00.0 for a new accel: 1 needed, 0 free")

        // A whole function: its sysfs directory links its IOMMU group, and
        // goes with the link when it is deleted.
        let directory = try XCTUnwrap(device.vfio?.sysfsPath)
        let group = try FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/iommu_group")
        XCTAssertTrue(group.hasSuffix("kernel/iommu_groups/\(device.vfio?.iommuGroup ?? 0)"), group)
        try await client.deleteDevice(device.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    func testSamplePluginBuiltOutOfTreeWithSwiftcLoads() async throws {
        // What a vendor does outside this package: compile the SDK's
        // sources into a static library and their plugin into a .so.
        let build = try directory()
        let root = Self.packageRoot.path
        let sdk = try FileManager.default.contentsOfDirectory(atPath: "\(root)/Sources/SubdevPlugin")
            .filter { $0.hasSuffix(".swift") }.sorted().map { "'\(root)/Sources/SubdevPlugin/\($0)'" }.joined(separator: " ")
        let result = try runProcess("/bin/sh", ["-c", """
            set -e
            cd '\(build.path)'
            swiftc -parse-as-library -module-name SubdevPlugin -emit-module -emit-module-path SubdevPlugin.swiftmodule \
              -emit-library -static -o libSubdevPlugin.a \(sdk)
            mkdir plugins
            swiftc -parse-as-library -module-name VendorPlugin -emit-library -I . -L . -lSubdevPlugin \
              -o plugins/libvendor.so '\(root)/Examples/SamplePlugin/SamplePlugin.swift'
            """])
        XCTAssertEqual(result.status, 0, result.stderr)
        let plugins = build.appendingPathComponent("plugins")
        let model = try ModelProcess.start(arguments: ["--plugin-dir", plugins.path, "--hardware", try hardware(in: build).path])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let device = try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("aes"))])
        XCTAssertEqual(device.type, "accel")
        let parent = try await client.parent(card)
        XCTAssertEqual(parent.driver, "sample-fpga")
    }

    func testCreatesThatFailHalfWayLeaveNoReservation() async throws {
        let plugins = try directory()
        try installSamplePlugin(into: plugins)
        let model = try ModelProcess.start(arguments: ["--plugin-dir", plugins.path, "--hardware", try hardware(in: plugins).path])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("aes"))])
        let before = try await client.parent(card).counters
        // flaky's plan takes a slot, which fits, then more logic than is left.
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: card, type: "flaky"),
                                   message: "not enough luts on pci/0000:af:00.0 for a new flaky: 201 needed, 200 free")
        // broken's firmware fails part-way through.
        await XCTAssertThrowsErrno(EIO, try await client.createDevice(parent: card, type: "broken"),
                                   message: "firmware of region 1 stopped answering half-way through programming")
        let after = try await client.parent(card).counters
        XCTAssertEqual(after, before, "no slot and no logic stayed reserved")
        let devices = try await client.devices()
        XCTAssertEqual(devices.count, 1)
        let accel = try await client.type("accel", of: card)
        XCTAssertEqual(accel.available, 1, "the other slot is still free")
    }

    func testAResetThePluginCannotDoFailsTheRecoveryAndRemovesTheSubdevice() async throws {
        let plugins = try directory()
        try installSamplePlugin(into: plugins)
        let model = try ModelProcess.start(arguments: ["--plugin-dir", plugins.path, "--hardware", try hardware(in: plugins).path])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let good = try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("aes"))])
        let bad = try await client.createDevice(parent: card, type: "accel", params: [("bitstream", .string("rsa.corrupt"))])
        let config = try client.configNotifications()
        defer { config.cancel() }
        var notifications = config.makeAsyncIterator()
        let events = try client.events()
        defer { events.cancel() }
        var iterator = events.makeAsyncIterator()
        let held = try HeldDevice(bad, family: client.family)
        defer { held.release() }
        _ = try await nextMessage(&notifications)

        try await client.injectAER(parent: card, severity: .fatal)
        for await event in held.events {
            guard case .aer(let detected) = event else { continue }
            try await held.answer(detected, with: .needReset)
            break
        }
        var stages: [String: [SubdevAerStage]] = [:]
        var revoke: DeviceEvent?
        while stages.values.map(\.count).reduce(0, +) < 5 || revoke == nil, let event = try await nextMessage(&iterator) {
            switch event {
            case .aer(let e): stages["\(e.index ?? 99)", default: []].append(e.stage)
            case .revoke(let r): revoke = r
            default: XCTFail("unexpected \(event)")
            }
        }
        XCTAssertEqual(stages["\(good.index)"], [.errorDetected, .reset, .resumed], "nobody holds the good one; it is reset and resumes")
        XCTAssertEqual(stages["\(bad.index)"], [.errorDetected, .failed])
        XCTAssertEqual(revoke?.holderPIDs, [UInt32(getpid())])
        let message = "plugin sample-fpga could not reset \(card)/\(bad.index): bitstream rsa.corrupt failed its CRC while region 1 was reprogrammed"
        XCTAssertEqual(revoke?.reason, "AER recovery failed: \(message)")
        var deleted: DeviceInfo?
        while deleted == nil, let notification = try await nextMessage(&notifications) {
            if case .deleted(let device) = notification { deleted = device }
        }
        XCTAssertEqual(deleted?.handle, bad.handle)
        let devices = try await client.devices()
        XCTAssertEqual(devices.map(\.handle), [good.handle])
        let counters = try await client.parent(card).counters
        XCTAssertEqual(counters.first { $0.name == "slots" }?.reserved, 1, "the failed one's region returned")
        for await _ in held.events {}
        XCTAssertFalse(held.isHeld, "the holder was cut off, not killed")
    }

    func testAPluginOfAnotherABIVersionIsRefused() throws {
        let plugins = try directory()
        try buildCPlugin("libold.so", abi: 2, driver: "old", into: plugins)
        let result = try runProduct("subdevd", ["--port", "1", "--plugin-dir", plugins.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: plugin \(plugins.path)/libold.so speaks plugin ABI 2, but this subdevd speaks 1: rebuild it against this SubdevPlugin\n")
        XCTAssertEqual(result.stdout, "", "no ready line")
    }

    func testALibraryThatIsNoPluginIsRefused() throws {
        let plugins = try directory()
        let result0 = try runProcess("/bin/sh", ["-c", "echo 'int nothing(void) { return 0; }' | gcc -shared -fPIC -x c -o '\(plugins.path)/libnothing.so' -"])
        XCTAssertEqual(result0.status, 0, result0.stderr)
        let result = try runProduct("subdevd", ["--port", "1", "--plugin-dir", plugins.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: \(plugins.path)/libnothing.so is not a subdev plugin: it has no subdev_plugin_abi_version\n")
    }

    func testAPluginClaimingABuiltInDriverIsRefused() throws {
        let plugins = try directory()
        try buildCPlugin("libimpostor.so", abi: 1, driver: "idxd", into: plugins)
        let result = try runProduct("subdevd", ["--port", "1", "--plugin-dir", plugins.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: \(plugins.path)/libimpostor.so provides driver idxd, which another plugin already provides\n")
    }

    func testACPluginLoadsAndItsErrorsReachTheCaller() throws {
        let plugins = try directory()
        try buildCPlugin("libcplug.so", abi: 1, driver: "cplug", into: plugins)
        // It describes no parent: the description fails with its message.
        let result = try runProduct("subdevd", ["--port", "1", "--plugin-dir", plugins.path,
                                                "--hardware", try hardware(in: plugins, driver: "cplug").path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("hardware.yaml: line 6: parents[0].config: c-plugin does nothing else\n"), result.stderr)
    }
}

/// subdevd and a bad hardware file.
final class HardwareOptionTests: XCTestCase {
    func testBadHardwareFileIsRefusedNamingLineAndField() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-bad-\(UUID().uuidString).yaml")
        try "parents:\n  - bus: pci\n    name: \"0000:3b:00.0\"\n    driver: vgpu\n    config: { placement: spread }\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runProduct("subdevd", ["--port", "1", "--hardware", file.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: \(file.path): line 5: parents[0].config.placement: 'spread' is not one of homogeneous, mixed\n")
        XCTAssertEqual(result.stdout, "", "no ready line")
    }

    func testUnreadablePluginDirectoryIsNamed() throws {
        let result = try runProduct("subdevd", ["--port", "1", "--plugin-dir", "/nonexistent/plugins"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: plugin directory /nonexistent/plugins cannot be read: No such file or directory\n")
    }
}
