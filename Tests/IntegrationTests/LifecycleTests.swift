import XCTest
import Netlink
import Subdev
import SubdevUAPI

/// create, get, dump, set, delete through the client, over real sockets.
final class LifecycleTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
    let gpu = ParentHandle(bus: "pci", name: "0000:3b:00.0")

    func testCreateGetDumpSetDelete() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port, transport: .generic)
        XCTAssertEqual(client.family.name, "subdev")
        XCTAssertEqual(Set(client.family.multicastGroups.keys), ["config", "events"])

        let parents = try await client.parents()
        XCTAssertEqual(parents.map(\.handle), [dsa, gpu, ParentHandle(bus: "virtual", name: "mtty")])
        let value1 = try await client.types(of: dsa).isEmpty
        XCTAssertFalse(value1)
        let before = try await client.type("dwq", of: dsa)

        let created = try await client.createDevice(parent: dsa, type: "dwq", name: "vm0",
                                                    params: [("wq-size", .int(32)), ("priority", .int(3))])
        XCTAssertEqual(created.index, 0)
        XCTAssertEqual(created.vfio?.devNode, "\(model.root)/dev/vfio/devices/vfio0")
        XCTAssertEqual(created.adminState, .up)
        XCTAssertEqual(created.params.first { $0.name == "wq-size" }?.value, .int(32))
        XCTAssertEqual(created.params.first { $0.name == "block-on-fault" }?.value, .int(0), "defaults are applied")

        let second = try await client.createDevice(parent: gpu, type: "A40-8Q")
        XCTAssertEqual(second.index, 0, "indexes count per parent")
        XCTAssertEqual(second.vfio?.index, 1, "vfioN is the lowest free across the machine")

        let value2 = try await client.device(.name("vm0"))
        XCTAssertEqual(value2, created)
        let value3 = try await client.device(.index(dsa, 0))
        XCTAssertEqual(value3, created)
        let value4 = try await client.devices().map(\.handle)
        XCTAssertEqual(value4, [.index(dsa, 0), .index(gpu, 0)])
        let value5 = try await client.devices(of: gpu).map(\.handle)
        XCTAssertEqual(value5, [.index(gpu, 0)])

        let counters = try await client.parent(dsa).counters
        XCTAssertEqual(counters.first { $0.name == "wq-entries" }?.reserved, 32)
        let value6 = try await client.type("dwq", of: dsa).available
        XCTAssertEqual(value6, 4, "64 free WQ entries fit four more WQs of the default 16")

        try await client.setDevice(.name("vm0"), adminState: .down, params: [("priority", .int(7))])
        let changed = try await client.device(.name("vm0"))
        XCTAssertEqual(changed.adminState, .down)
        XCTAssertEqual(changed.operState, .down)
        XCTAssertEqual(changed.params.first { $0.name == "priority" }?.value, .int(7))

        try await client.deleteDevice(.name("vm0"))
        await XCTAssertThrowsErrno(ENOENT, try await client.device(.name("vm0")))
        let value7 = try await client.parent(dsa).counters.first { $0.name == "wq-entries" }?.reserved
        XCTAssertEqual(value7, 0)
        let value8 = try await client.type("dwq", of: dsa).available
        XCTAssertEqual(value8, before.available)

        // The freed vfio0 is the lowest free again.
        let third = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(third.vfio?.index, 0)
    }

    func testUsersockTransportServesTheSameFamily() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let generic = try await SubdevClient.connect(port: model.port, transport: .generic)
        let userSock = try await SubdevClient.connect(port: model.port, transport: .userSock)
        XCTAssertEqual(userSock.netlinkProtocol, .userSock)
        XCTAssertEqual(generic.family, userSock.family)
        _ = try await userSock.createDevice(parent: dsa, type: "dwq", name: "via-usersock")
        let value9 = try await generic.device(.name("via-usersock")).type
        XCTAssertEqual(value9, "dwq")
    }

    func testCapacityRunsOutWithENOSPCNamingTheCounter() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        for _ in 0..<3 { _ = try await client.createDevice(parent: gpu, type: "A40-16Q") }
        let value10 = try await client.type("A40-16Q", of: gpu).available
        XCTAssertEqual(value10, 0)
        await XCTAssertThrowsErrno(ENOSPC, try await client.createDevice(parent: gpu, type: "A40-16Q"),
                                   message: "not enough fb-bytes on pci/0000:3b:00.0 for a new A40-16Q: 17179869184 needed, 0 free")
        let value11 = try await client.devices(of: gpu).count
        XCTAssertEqual(value11, 3)
    }

    func testDumpOfEverySubdeviceArrivesWhole() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // Every dedicated WQ and every slice of the shared one, with long
        // names: the dump spans many messages.
        for index in 0..<7 {
            _ = try await client.createDevice(parent: dsa, type: "dwq", name: String(repeating: "d", count: 60) + "\(index)",
                                              params: [("wq-size", .int(1))])
        }
        for index in 0..<8 {
            _ = try await client.createDevice(parent: dsa, type: "swq-slice", name: String(repeating: "s", count: 60) + "\(index)")
        }
        let devices = try await client.devices()
        XCTAssertEqual(devices.count, 15)
        XCTAssertEqual(devices.map(\.index), Array(0..<15))
        XCTAssertEqual(Set(devices.compactMap(\.vfio?.pasid)).count, 15, "each subdevice has a PASID of its own")
    }
}

/// Asserts that `expression` throws a `NetlinkError` with `errno`, and
/// with `message` when given.
func XCTAssertThrowsErrno<T>(_ errno: Int32, _ expression: @autoclosure () async throws -> T, message: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected errno \(errno), got success", file: file, line: line)
    } catch let error as NetlinkError {
        XCTAssertEqual(error.errno, errno, "\(error)", file: file, line: line)
        if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
    } catch {
        XCTFail("expected NetlinkError \(errno), got \(error)", file: file, line: line)
    }
}
