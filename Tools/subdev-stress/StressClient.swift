// One client process of the reliability tests (Docs/reliability.md): it
// does random operations from a seed (create, set, delete, hold, release,
// inject) against a running subdevd, as one VMM or operator among many,
// and records what the family acknowledged in a log that survives SIGKILL
// (one write(2) per line), so a test can hold the model to it.

import ArgumentParser
import Foundation
import Netlink
import Subdev
import SubdevUAPI
import SubdevVMM
#if canImport(Glibc)
import Glibc
#endif

@main
struct StressClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subdev-stress",
        abstract: "Random operations against subdevd from a seed, logging what was acknowledged.")

    @Option(help: "The model's netlink port.")
    var port: UInt32

    @Option(help: "Seed of the operation sequence.")
    var seed: UInt64

    @Option(help: "How many operations to do; 0 runs until killed.")
    var operations: Int = 100

    @Option(help: "This worker's number, which prefixes its subdevices' names.")
    var worker: Int

    @Option(help: "File to append the log to: one line per step, written before and after each request.")
    var log: String

    @Option(help: "Share of creations bound to this process (owned), 0 to 1.")
    var ownedShare: Double = 0.25

    mutating func run() async throws {
        let log = try StressLog(path: log)
        var random = SplitMix(seed: seed)
        let client = try await SubdevClient.connect(port: port)
        let kinds = try await Self.kinds(client)
        var state = WorkerState()
        var done = 0
        while operations == 0 || done < operations {
            done += 1
            let roll = Int(random.next() % 100)
            do {
                switch roll {
                case 0..<30: try await create(client, kinds: kinds, state: &state, log: log, random: &random)
                case 30..<45: try await set(client, state: &state, log: log, random: &random)
                case 45..<65: try await delete(client, state: &state, log: log, random: &random)
                case 65..<80: try await hold(client, state: &state, log: log, random: &random)
                case 80..<90: release(state: &state, log: log, random: &random)
                default: try await inject(client, state: &state, log: log, random: &random)
                }
            } catch let error as NetlinkError where Self.expected.contains(error.errno) {
                // A refusal the race between workers explains: no room, gone, busy.
                state.refused[error.errno, default: 0] += 1
                log.write("refused \(error.errno) \(error)")
            }
        }
        for held in state.held { held.device.release() }
        let summary: [String: Any] = [
            "worker": worker, "operations": done, "created": state.created, "deleted": state.deleted, "sets": state.sets,
            "holds": state.holds, "releases": state.releases, "injections": state.injections,
            "refused": Dictionary(uniqueKeysWithValues: state.refused.map { (String($0.key), $0.value) }),
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// Refusals a worker expects among many: capacity or a placement rule
    /// such as vGPU homogeneity (ENOSPC), another worker deleted it
    /// (ENOENT, ENODEV), it is removing or recovering (EBUSY), a hold on a
    /// node whose subdevice just went (ECONNREFUSED on connect). Anything
    /// else ends the worker with an error.
    static let expected: Set<Int32> = [ENOSPC, ENOENT, ENODEV, EBUSY, ECONNREFUSED]

    /// What a worker can create: the types of each parent, with default
    /// parameters.
    static func kinds(_ client: SubdevClient) async throws -> [ParentHandle: [String]] {
        Dictionary(grouping: try await client.types(), by: \.parent).mapValues { $0.map(\.name) }
    }

    /// Creates a subdevice of a random parent, of a random type of it (so a
    /// parent with many types is not picked more often).
    func create(_ client: SubdevClient, kinds: [ParentHandle: [String]], state: inout WorkerState, log: StressLog,
                random: inout SplitMix) async throws {
        let parents = kinds.keys.sorted { "\($0)" < "\($1)" }
        guard let parent = parents.randomElement(using: &random), let type = kinds[parent]?.randomElement(using: &random) else { return }
        let name = "s\(worker)-\(state.nextName)"
        state.nextName += 1
        let owned = Double(random.next() % 1000) / 1000 < ownedShare
        log.write("new \(name) \(parent.bus)/\(parent.name) \(type)\(owned ? " owned" : "")")
        let device = try await client.createDevice(parent: parent, type: type, name: name, owned: owned)
        log.write("ack-new \(name) vfio=\(device.vfio.map { String($0.index) } ?? "-")\(owned ? " owned" : "")")
        state.live.append(name)
        state.created += 1
    }

    func set(_ client: SubdevClient, state: inout WorkerState, log: StressLog, random: inout SplitMix) async throws {
        guard let name = state.live.randomElement(using: &random) else { return }
        let adminState: SubdevAdminState = random.next() % 2 == 0 ? .up : .down
        log.write("set \(name) \(adminState)")
        try await client.setDevice(.name(name), adminState: adminState)
        log.write("ack-set \(name) \(adminState)")
        state.sets += 1
    }

    func delete(_ client: SubdevClient, state: inout WorkerState, log: StressLog, random: inout SplitMix) async throws {
        guard !state.live.isEmpty else { return }
        let name = state.live.remove(at: Int(random.next() % UInt64(state.live.count)))
        let force = random.next() % 3 == 0
        log.write("del \(name)\(force ? " force" : "")")
        try await client.deleteDevice(.name(name), force: force, deadlineMilliseconds: force ? nil : 200)
        log.write("ack-del \(name)")
        state.deleted += 1
    }

    func hold(_ client: SubdevClient, state: inout WorkerState, log: StressLog, random: inout SplitMix) async throws {
        let devices = try await client.devices().filter { $0.operState == .up }
        guard let device = devices.randomElement(using: &random) else { return }
        let held = try HeldDevice(device, family: client.family)
        log.write("hold \(device.name ?? "\(device.handle)")")
        // As a VMM: let go when asked, answer AER recovery.
        let answering = Task {
            for await event in held.events {
                switch event {
                case .removeRequest: held.release()
                case .aer(let aer) where aer.stage == .errorDetected: try? await held.answer(aer, with: .recovered)
                default: break
                }
            }
        }
        state.held.append((held, answering))
        state.holds += 1
    }

    func release(state: inout WorkerState, log: StressLog, random: inout SplitMix) {
        guard !state.held.isEmpty else { return }
        let (held, _) = state.held.remove(at: Int(random.next() % UInt64(state.held.count)))
        log.write("release \(held.device.name ?? "\(held.device.handle)")")
        held.release()
        state.releases += 1
    }

    func inject(_ client: SubdevClient, state: inout WorkerState, log: StressLog, random: inout SplitMix) async throws {
        guard let name = state.live.randomElement(using: &random) else { return }
        let device = try await client.device(.name(name))
        let severity: SubdevAerSeverity = random.next() % 2 == 0 ? .correctable : .nonFatal
        log.write("inject \(name) \(severity)")
        try await client.injectAER(parent: device.parent, device: .name(name), severity: severity, timeoutMilliseconds: 50)
        log.write("ack-inject \(name)")
        state.injections += 1
    }
}

/// What one worker has made and holds.
struct WorkerState {
    var nextName = 0
    /// Its subdevices it has not deleted, by name.
    var live: [String] = []
    var held: [(device: HeldDevice, answering: Task<Void, Never>)] = []
    var created = 0, deleted = 0, sets = 0, holds = 0, releases = 0, injections = 0
    var refused: [Int32: Int] = [:]
}

/// The worker's log: each line goes out in one write(2), so a line is in
/// the file once it returns, whatever happens to the process next.
final class StressLog: Sendable {
    private let fd: Int32

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NetlinkError.system("open \(path)", errno: errno) }
    }

    func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    deinit { close(fd) }
}

/// SplitMix64, so that a seed fixes the sequence of operations.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
