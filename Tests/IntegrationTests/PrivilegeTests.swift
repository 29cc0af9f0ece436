import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// Privilege (issue 7), as uid 65534 with no capabilities: every
/// operation the spec flags `admin-perm` (creation, change, deletion,
/// fault injection) is refused with `EPERM` and changes nothing; reads,
/// dumps and both multicast groups work; device nodes admit exactly whom
/// their owner, group and mode admit.
final class PrivilegeTests: XCTestCase {
    static let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]

    override func setUp() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv (util-linux) to run clients as uid 65534")
        }
    }

    func testEveryOperationOfTheSpecAsNobody() async throws {
        let program = try Fixtures.build("raw-requests", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        // What the seed requests name, so that a refusal can only be the privilege's.
        let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
        _ = try await client.createDevice(parent: dsa, type: "dwq", name: "w")
        _ = try await client.createDevice(parent: ParentHandle(bus: "pci", name: "0000:3b:00.0"), type: "A40-8Q", name: "g")
        _ = try await client.createDevice(parent: ParentHandle(bus: "virtual", name: "mtty"), type: "mtty-2")
        let before = try await snapshot(client)

        let seeds = try MalformedInputCampaignTests.seedRequests()
        var lines: [String] = []
        var operations: [(name: String, command: UInt8, admin: Bool, control: Bool)] = []
        for (index, seed) in seeds.enumerated() {
            var parts = seed.parts
            parts.flags |= MessageFlags.ack.rawValue
            let control = parts.type == Controller.familyID
            let admin = !control && (subdevFamilyPolicy.operations[parts.command]?.adminPerm ?? false)
            lines.append(parts.encoded(sequence: UInt32(index + 1)).map { String(format: "%02x", $0) }.joined())
            operations.append((seed.name, parts.command, admin, control))
        }
        let input = lines.joined(separator: "\n") + "\n"

        // usersock: the model judges the sender by its credentials.
        let answers = try run(program.path, [String(model.port), "usersock"], input: input)
        XCTAssertEqual(answers.count, operations.count, answers.joined(separator: "\n"))
        var refused = 0, served = 0
        let adminCommands = Set(subdevFamilyPolicy.operations.filter { $0.value.adminPerm }.map(\.key))
        XCTAssertEqual(Set(operations.filter(\.admin).map(\.command)), adminCommands, "a seed for every admin-perm operation")
        for (operation, answer) in zip(operations, answers) {
            if operation.admin {
                XCTAssertTrue(answer.hasPrefix("errno \(EPERM) ") && answer.contains("CAP_NET_ADMIN"),
                              "\(operation.name) as nobody: \(answer)")
                refused += 1
            } else if operation.command == SubdevCommand.aerAnswer.rawValue && !operation.control {
                // Not a privilege: only a holder of the subdevice may answer.
                XCTAssertTrue(answer.hasPrefix("errno "), "aer-answer from a process that holds nothing: \(answer)")
            } else {
                XCTAssertTrue(answer.hasPrefix("ok "), "\(operation.name) as nobody: \(answer)")
                served += 1
            }
        }
        // Generic netlink: the kernel itself refuses the send to a user-space port.
        let generic = try run(program.path, [String(model.port), "generic"], input: input)
        XCTAssertEqual(generic, Array(repeating: "send-errno \(EPERM)", count: operations.count))

        let after = try await snapshot(client)
        XCTAssertEqual(before, after, "requests from nobody changed the model's state")
        print("privilege: as uid 65534, \(refused) admin-perm requests refused with EPERM and an extack message, "
              + "\(served) reads and dumps served over usersock; all \(operations.count) refused at send over generic netlink")
    }

    func testNobodyReceivesBothGroups() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let cli = try ModelProcess.product("subdev").path
        let monitor = Process()
        let out = Pipe(), err = Pipe()
        monitor.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        monitor.arguments = Self.nobody + [cli, "--port", String(model.port), "-j", "monitor"]
        monitor.standardOutput = out
        monitor.standardError = err
        try monitor.run()
        defer {
            kill(monitor.processIdentifier, SIGKILL)
            waitForExit(monitor)
        }
        // It says so on stderr once both groups are joined.
        let said = err.read(until: { $0.contains("monitoring") })
        guard said.contains("monitoring") else { return XCTFail("monitor as nobody did not start: \(said)") }
        let device = try await client.createDevice(parent: ParentHandle(bus: "virtual", name: "mtty"), type: "mtty-1", name: "seen")
        try await client.injectAER(parent: device.parent, device: .name("seen"), severity: .correctable)
        let text = out.readLines(2)
        let lines = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.compactMap { $0["event"] as? String }.sorted(), ["aer", "new"], text)
    }

    /// The node's owner, group and mode decide, as a file's do: connecting
    /// to the socket the model serves needs write permission on it.
    func testDeviceNodesAdmitWhomOwnerGroupAndModeAdmit() async throws {
        let holder = try Fixtures.build("holder", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
        let cases: [(NodeAccessInfo, Bool)] = [
            (NodeAccessInfo(uid: 0, gid: 0, mode: 0o600), false),
            (NodeAccessInfo(uid: 0, gid: 0, mode: 0o660), false),
            (NodeAccessInfo(uid: 0, gid: 0, mode: 0o604), false),  // others may read, not write
            (NodeAccessInfo(uid: 0, gid: 0, mode: 0o606), true),
            (NodeAccessInfo(uid: 65534, gid: 0, mode: 0o600), true),
            (NodeAccessInfo(uid: 65534, gid: 0, mode: 0o400), false),
            (NodeAccessInfo(uid: 65534, gid: 0, mode: 0o066), false),  // the owner's bits decide for the owner
            (NodeAccessInfo(uid: 0, gid: 65534, mode: 0o060), true),
            (NodeAccessInfo(uid: 0, gid: 65534, mode: 0o606), false),  // the group's bits decide for the group
        ]
        for (access, admitted) in cases {
            let device = try await client.createDevice(parent: dsa, type: "swq-slice", node: access)
            let node = try XCTUnwrap(device.vfio?.devNode)
            let line = try firstLine("/usr/bin/setpriv", Self.nobody + [holder.path, node])
            let mode = "0" + String(access.mode, radix: 8)
            XCTAssertEqual(line, admitted ? "held" : "refused: Permission denied", "uid \(access.uid) gid \(access.gid) mode \(mode)")
            // Root is not bound by the mode, as with any file.
            XCTAssertEqual(try firstLine(holder.path, [node]), "held", "root on mode \(mode)")
            try await client.deleteDevice(device.handle, force: true)
        }
    }

    // MARK: helpers

    /// Runs `executable` as nobody via setpriv, feeding `input`; its output lines.
    func run(_ executable: String, _ arguments: [String], input: String) throws -> [String] {
        let process = Process()
        let stdin = Pipe(), stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = Self.nobody + [executable] + arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        waitForExit(process)
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Starts a program, returns its first line of output, and kills it.
    func firstLine(_ executable: String, _ arguments: [String]) throws -> String {
        let (process, line) = try startWaitingForLine(executable, arguments)
        kill(process.processIdentifier, SIGKILL)
        waitForExit(process)
        return line
    }

    func snapshot(_ client: SubdevClient) async throws -> String {
        "\(try await client.parents())\n\(try await client.devices())"
    }
}
