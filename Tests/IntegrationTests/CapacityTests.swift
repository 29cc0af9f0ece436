import Foundation
import XCTest
import Netlink
import Subdev

/// Capacity arithmetic through the real socket, on hardware described for
/// each test: what type-get reports as available is exactly what dev-new
/// then lets in, the next create fails with ENOSPC naming what is short,
/// and deleting gives everything back.
final class CapacityTests: XCTestCase {
    let gpu = ParentHandle(bus: "pci", name: "0000:3b:00.0")
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")

    /// Starts subdevd on a hardware description given as YAML text.
    func start(_ yaml: String) throws -> ModelProcess {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-hw-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: file) }
        return try ModelProcess.start(arguments: ["--hardware", file.path])
    }

    func gpuHardware(placement: String) -> String {
        """
        parents:
          - bus: pci
            name: "0000:3b:00.0"
            driver: vgpu
            iommu-group: 31
            config:
              model: A40
              framebuffer: 48GiB
              placement: \(placement)
              series: [Q]
        """
    }

    func available(_ client: SubdevClient, _ type: String, on parent: ParentHandle) async throws -> UInt32 {
        try await client.type(type, of: parent).available
    }

    func reserved(_ client: SubdevClient, _ counter: String, on parent: ParentHandle) async throws -> UInt64? {
        try await client.parent(parent).counters.first { $0.name == counter }?.reserved
    }

    func testHomogeneousGPU() async throws {
        let model = try start(gpuHardware(placement: "homogeneous"))
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let eight = try await available(client, "A40-8Q", on: gpu)
        XCTAssertEqual(eight, 6, "48 GiB hold six 8 GiB vGPUs")
        let first = try await client.createDevice(parent: gpu, type: "A40-8Q")
        let sixteen = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(sixteen, 0, "one profile per GPU: an 8Q rules out every 16Q")
        let eightLeft = try await available(client, "A40-8Q", on: gpu)
        XCTAssertEqual(eightLeft, 5)
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: gpu, type: "A40-16Q"),
                                   message: "placement is homogeneous and the GPU holds A40-8Q vGPUs: A40-16Q fits only when they are gone")
        for _ in 0..<5 { _ = try await client.createDevice(parent: gpu, type: "A40-8Q") }
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: gpu, type: "A40-8Q"),
                                   message: "not enough fb-bytes on pci/0000:3b:00.0 for a new A40-8Q: 8589934592 needed, 0 free")
        for device in try await client.devices() { try await client.deleteDevice(device.handle) }
        let back = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(back, 3)
        let none = try await reserved(client, "fb-bytes", on: gpu)
        XCTAssertEqual(none, 0)
        XCTAssertEqual(first.details.first { $0.name == "placement-id" }?.value, .int(0))
    }

    func testMixedGPUPlacesProfilesAtAlignedOffsets() async throws {
        let model = try start(gpuHardware(placement: "mixed"))
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: gpu, type: "A40-8Q")
        let sixteen = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(sixteen, 2, "16 GiB slots at 16 and 32 GiB are free; the one at 0 overlaps the 8Q")
        let a = try await client.createDevice(parent: gpu, type: "A40-16Q")
        let b = try await client.createDevice(parent: gpu, type: "A40-16Q")
        XCTAssertEqual([a, b].map { $0.details.first { $0.name == "placement-id" }?.value }, [.int(16), .int(32)])
        let sixteenAfter = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(sixteenAfter, 0)
        let eight = try await available(client, "A40-8Q", on: gpu)
        XCTAssertEqual(eight, 1, "8 GiB at offset 8 is the only room left")
        await XCTAssertThrowsErrno(EINVAL, try await client.createDevice(parent: gpu, type: "A40-8Q", params: [("placement-id", .int(4))]),
                                   message: "placement-id 4 is not a multiple of 8 GiB, the size of A40-8Q")
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: gpu, type: "A40-8Q", params: [("placement-id", .int(16))]),
                                   message: "placement-id 16 of A40-8Q overlaps a vGPU already placed")
        await XCTAssertThrowsErrno(EINVAL, try await client.createDevice(parent: gpu, type: "A40-8Q", params: [("placement-id", .int(48))]),
                                   message: "placement-id 48 out of range 0..40")
        let placed = try await client.createDevice(parent: gpu, type: "A40-8Q", params: [("placement-id", .int(8))])
        XCTAssertEqual(placed.details.first { $0.name == "fb-offset" }?.value, .int(8 << 30))
        let full = try await reserved(client, "fb-bytes", on: gpu)
        XCTAssertEqual(full, 48 << 30)
        // Changing a mutable parameter does not move a live vGPU.
        try await client.setDevice(b.handle, params: [("frame-rate-limit", .int(30))])
        let unmoved = try await client.device(b.handle)
        XCTAssertEqual(unmoved.details, b.details)
        XCTAssertEqual(unmoved.params.first { $0.name == "frame-rate-limit" }?.value, .int(30))
        try await client.deleteDevice(a.handle)
        let freed = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(freed, 1, "deleting one 16Q gives exactly its slot back")
    }

    func testFragmentedFramebufferIsExplained() async throws {
        let model = try start(gpuHardware(placement: "mixed"))
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        for id in [8, 24, 40] {
            _ = try await client.createDevice(parent: gpu, type: "A40-8Q", params: [("placement-id", .int(UInt64(id)))])
        }
        // 24 GiB are free, in 8 GiB pieces: no aligned 16 GiB slot.
        let sixteen = try await available(client, "A40-16Q", on: gpu)
        XCTAssertEqual(sixteen, 0)
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: gpu, type: "A40-16Q"),
                                   message: "no free 16 GiB slot at a multiple of its size for A40-16Q: the free fb-bytes are fragmented")
    }

    func testSharedWQSlicesRunOutWhenPASIDsDo() async throws {
        let model = try start("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config: { wqs: 2, wq-entries: 64, pasids: 3, shared-wqs: [ { size: 32 } ] }
            """)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let fit = try await available(client, "swq-slice", on: dsa)
        XCTAssertEqual(fit, 3, "32 entries hold eight 4-entry slices, but only 3 PASIDs remain")
        var pasids: Set<UInt32> = []
        for _ in 0..<3 {
            let slice = try await client.createDevice(parent: dsa, type: "swq-slice")
            pasids.insert(try XCTUnwrap(slice.vfio?.pasid))
        }
        XCTAssertEqual(pasids.count, 3, "each slice has its own PASID")
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "swq-slice"),
                                   message: "not enough pasids on pci/0000:6a:01.0 for a new swq-slice: 1 needed, 0 free")
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "dwq"),
                                   message: "not enough pasids on pci/0000:6a:01.0 for a new dwq: 1 needed, 0 free")
        try await client.deleteDevice(.index(dsa, 1))
        let one = try await available(client, "swq-slice", on: dsa)
        XCTAssertEqual(one, 1)
    }

    func testSharedWQSlicesRunOutWhenEntriesDo() async throws {
        let model = try start("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config: { wqs: 3, wq-entries: 64, pasids: 64, shared-wqs: [ { size: 8 }, { size: 6 } ] }
            """)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let fit = try await available(client, "swq-slice", on: dsa)
        XCTAssertEqual(fit, 3, "two 4-entry slices on the 8-entry WQ, one on the 6-entry WQ")
        var wqs: [FactInfo?] = []
        for _ in 0..<3 { wqs.append(try await client.createDevice(parent: dsa, type: "swq-slice").details.first { $0.name == "wq-id" }) }
        XCTAssertEqual(wqs.map { $0?.value }, [.int(0), .int(0), .int(1)])
        // 2 entries are left, on WQ 1.
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "swq-slice"),
                                   message: "not enough swq-entries on pci/0000:6a:01.0 for a new swq-slice: 4 needed, 2 free")
        _ = try await client.createDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(2))])
        let entries = try await reserved(client, "swq-entries", on: dsa)
        XCTAssertEqual(entries, 14)
        for device in try await client.devices() { try await client.deleteDevice(device.handle) }
        let back = try await available(client, "swq-slice", on: dsa)
        XCTAssertEqual(back, 3)
        let pasids = try await reserved(client, "pasids", on: dsa)
        XCTAssertEqual(pasids, 0)
    }

    func testFragmentedSharedWQsAreExplained() async throws {
        let model = try start("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config: { wqs: 3, wq-entries: 64, shared-wqs: [ { size: 4 }, { size: 6, threshold: 4 } ] }
            """)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(2))])
        _ = try await client.createDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(3))])
        // 2 + 1 entries are free under the thresholds, but no WQ has 3.
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(3))]),
                                   message: "no shared WQ has 3 free entries for a swq-slice (the most free on one is 2)")
    }

    func testDedicatedWQsRunOutWhenWQsDo() async throws {
        let model = try start("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config: { wqs: 2, wq-entries: 64 }
            """)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let fit = try await available(client, "dwq", on: dsa)
        XCTAssertEqual(fit, 2)
        let first = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(8))])
        _ = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(8))])
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(8))]),
                                   message: "not enough wqs on pci/0000:6a:01.0 for a new dwq: 1 needed, 0 free")
        try await client.deleteDevice(first.handle)
        let second = try await client.device(.index(dsa, 1))
        try await client.setDevice(second.handle, params: [("priority", .int(3))])
        let unmoved = try await client.device(second.handle)
        XCTAssertEqual(unmoved.details, second.details, "a live WQ keeps its wq-id when its priority changes")
        let again = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(48))])
        XCTAssertEqual(again.details.first { $0.name == "wq-id" }?.value, .int(0), "the freed WQ is reused")
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "dwq"),
                                   message: "not enough wqs on pci/0000:6a:01.0 for a new dwq: 1 needed, 0 free")
    }

    func testWQEntriesRunOut() async throws {
        let model = try start("""
            parents:
              - bus: pci
                name: "0000:6a:01.0"
                driver: idxd
                config: { wqs: 4, wq-entries: 40 }
            """)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(32))])
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(16))]),
                                   message: "not enough wq-entries on pci/0000:6a:01.0 for a new dwq: 16 needed, 8 free")
        let left = try await available(client, "dwq", on: dsa)
        XCTAssertEqual(left, 0, "8 entries are left, and the default WQ takes 16")
    }
}
