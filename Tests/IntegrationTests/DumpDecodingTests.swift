import Foundation
import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// A dump, a batch of creates, or a client's single creates and reads,
/// decode what their subdevices carry alike once and share it with the
/// next whose bytes are the same: every subdevice must still come out as
/// it does on its own.
final class DumpDecodingTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
    let gpu = ParentHandle(bus: "pci", name: "0000:3b:00.0")
    let mtty = ParentHandle(bus: "virtual", name: "mtty")

    /// A read of `handle` by a client of its own, which has decoded no
    /// subdevice before: nothing of another's can be shared into it.
    func alone(_ handle: DeviceHandle, model: ModelProcess) async throws -> DeviceInfo {
        try await SubdevClient.connect(port: model.port).device(handle)
    }

    func testADumpAndABatchDecodeEachSubdeviceAsAReadOfItAlone() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // Runs of alike subdevices, broken by ones that differ in a
        // parameter, in their number, in type, in name, and in state.
        let made = try await client.createDevices([
            NewDevice(parent: dsa, type: "dwq"),
            NewDevice(parent: dsa, type: "dwq"),
            NewDevice(parent: dsa, type: "dwq", params: [("wq-size", .int(8))]),
            NewDevice(parent: dsa, type: "dwq", params: [("priority", .int(3)), ("wq-size", .int(8))]),
            NewDevice(parent: dsa, type: "swq-slice", name: "slice-a"),
            NewDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(2))]),
            NewDevice(parent: dsa, type: "dwq"),
            NewDevice(parent: gpu, type: "A40-8Q"),
            NewDevice(parent: gpu, type: "A40-8Q", adminState: .down),
            NewDevice(parent: mtty, type: "mtty-1"),
            NewDevice(parent: mtty, type: "mtty-2"),
            NewDevice(parent: mtty, type: "mtty-1", name: "console"),
            NewDevice(parent: mtty, type: "mtty-1"),
            // The model encodes a run from its first's bytes, writing
            // each one's numbers in: node access, state, owner, and
            // indices and vfioN that grow a digit.
            NewDevice(parent: mtty, type: "mtty-1", node: NodeAccessInfo(uid: 1000, gid: 36, mode: 0o660)),
            NewDevice(parent: mtty, type: "mtty-1", adminState: .down),
            NewDevice(parent: mtty, type: "mtty-1", owned: true),
        ] + Array(repeating: NewDevice(parent: mtty, type: "mtty-1"), count: 8)).map { try $0.get() }
        XCTAssertGreaterThanOrEqual(made.last?.index ?? 0, 10, "the run's indices reach two digits")
        // A batch's replies are decoded as a dump's are.
        for device in made {
            let alone = try await alone(device.handle, model: model)
            XCTAssertEqual(device, alone, "\(device.handle) as the batch decodes its reply and as a read of it alone")
        }
        try await client.setDevice(made[1].handle, params: [("priority", .int(12))])

        let dumped = try await client.devices()
        XCTAssertEqual(dumped.count, made.count)
        for device in dumped {
            let alone = try await alone(device.handle, model: model)
            XCTAssertEqual(device, alone, "\(device.handle) as the dump decodes it and as a read of it alone")
        }
        XCTAssertEqual(dumped.first { $0.handle == made[1].handle }?.params.first { $0.name == "priority" }?.value, .int(12),
                       "a change breaks a run")
        XCTAssertEqual(Set(dumped.map(\.type)), ["dwq", "swq-slice", "A40-8Q", "mtty-1", "mtty-2"])
        // The same again, from a second dump on the same client.
        let again = try await client.devices()
        XCTAssertEqual(again, dumped)
    }

    /// A batch that takes its parents in turn decodes each parent's
    /// replies as a run of their own: every subdevice must still come out
    /// as a read of it alone, whatever came between it and its parent's
    /// last one, and whichever of them differ.
    func testABatchRoundRobinOverParentsDecodesEachAsAReadOfItAlone() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        var batch: [NewDevice] = []
        for round in 0..<12 {
            batch.append(NewDevice(parent: mtty, type: "mtty-1"))
            batch.append(NewDevice(parent: dsa, type: "swq-slice", params: [("entries", .int(round == 5 ? 2 : 1))]))
            batch.append(NewDevice(parent: gpu, type: "A40-2Q", adminState: round == 7 ? .down : nil))
        }
        let made = try await client.createDevices(batch).map { try $0.get() }
        XCTAssertEqual(made.map(\.parent), batch.map(\.parent))
        XCTAssertGreaterThanOrEqual(made.last?.index ?? 0, 10, "the runs' indices reach two digits")
        for device in made {
            let alone = try await alone(device.handle, model: model)
            XCTAssertEqual(device, alone, "\(device.handle) as the batch decodes its reply and as a read of it alone")
        }
        XCTAssertEqual(Set(made.compactMap { $0.vfio?.index }).count, made.count, "each has its own vfioN")
    }

    /// Single creates and reads share a memo on the client: a run on one
    /// parent is decoded from a template after its first two. Each must
    /// come out as a read by a fresh client, whatever came before it.
    func testSingleCreatesAndReadsDecodeEachAsAReadOfItAlone() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        var made: [DeviceInfo] = []
        func create(_ parent: ParentHandle, _ type: String, name: String? = nil, adminState: SubdevAdminState? = nil,
                    params: [(String, ParamValue)] = [], node: NodeAccessInfo? = nil, owned: Bool = false) async throws {
            let device = try await client.createDevice(parent: parent, type: type, name: name, adminState: adminState,
                                                       params: params, node: node, owned: owned)
            let fresh = try await alone(device.handle, model: model)
            XCTAssertEqual(device, fresh, "\(device.handle) as createDevice decodes it and as a fresh client reads it")
            made.append(device)
        }
        for _ in 0..<4 { try await create(mtty, "mtty-1") }
        try await create(mtty, "mtty-1", name: "console")
        try await create(mtty, "mtty-1", node: NodeAccessInfo(uid: 1000, gid: 36, mode: 0o660))
        try await create(mtty, "mtty-1", adminState: .down)
        try await create(mtty, "mtty-1", owned: true)
        for _ in 0..<4 { try await create(mtty, "mtty-1") }
        try await create(mtty, "mtty-2")
        try await create(dsa, "swq-slice", params: [("entries", .int(2))])
        try await create(dsa, "swq-slice")
        try await create(dsa, "swq-slice")
        try await create(gpu, "A40-2Q")
        // A subdevice deleted and made again takes the same index and vfioN.
        try await client.deleteDevice(made[2].handle)
        try await create(mtty, "mtty-1")
        XCTAssertEqual(made.last?.index, made[2].index)
        XCTAssertGreaterThanOrEqual(made.map(\.index).max() ?? 0, 10, "the indices reach two digits")

        // Reads on the same client, in and out of runs, and after changes.
        try await client.setDevice(made[1].handle, adminState: .down)
        for device in made where device.handle != made[2].handle {
            let read = try await client.device(device.handle)
            let fresh = try await alone(device.handle, model: model)
            XCTAssertEqual(read, fresh, "\(device.handle) as a read on the client decodes it and as a fresh client reads it")
        }
        let changed = try await client.device(made[1].handle)
        XCTAssertEqual(changed.adminState, .down, "a change is read, not remembered")
        XCTAssertEqual(made[1].adminState, .up)
    }
}
