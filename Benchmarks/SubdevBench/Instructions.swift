import Foundation
import Subdev

/// P2i and P3i: the instructions the model executes per pipelined create,
/// per delete and per subdevice of a dump, counted by callgrind; P2l: its
/// cache misses per create and delete over P2's parents, simulated by
/// callgrind. Unlike the timed figures they do not move with a busy
/// machine, so they are the ones to compare a change with the last: they
/// show what the model's own code costs, without the kernel, the wake-ups
/// or the client.
extension Suite {
    mutating func measureInstructions() async throws {
        guard let tools = CallgrindTools() else {
            report.note("P2i, P3i and P2l not measured: they need valgrind (with callgrind_control) and objcopy (binutils).")
            return
        }
        // Warm: each parent's encoding, the tables' first growth, and the
        // type metadata the dump's path looks up once per process (about
        // 2M instructions, 400 a subdevice of a dump of 5 000, counted in
        // P3i until issue 6's ninth session).
        let counted = try await countedRun(tools, name: "instructions", port: 0x4B00_1007, cards: 10, options: [],
                                           warm: min(500, sizes.instructionOps), dump: true)
        let count = Double(sizes.instructionOps)
        try keep([(counted.create, "create"), (counted.dump, "dump"), (counted.delete, "delete")], of: "P2i and P3i")
        let created = try Self.counts(of: counted.create), dumped = try Self.counts(of: counted.dump),
            deleted = try Self.counts(of: counted.delete)
        report.add(Figure("P2i", "model instructions per pipelined dev-new (callgrind)", value: Double(created.instructions) / count / 1000, unit: "k"))
        report.add(Figure("P2i", "model instructions per pipelined dev-del (callgrind)", value: Double(deleted.instructions) / count / 1000, unit: "k"))
        report.add(Figure("P3i", "model instructions per dumped subdevice (callgrind)", value: Double(dumped.instructions) / count / 1000, unit: "k"))

        // P2l: the same creates and deletes over P2's parents, with
        // callgrind's cache simulated. P2's time moves with how much of
        // each parent's memory has gone cold since its last turn, which a
        // count of misses shows the same in every run. The last level is
        // set to 1 MiB, one core's L2 on this machine: the L3 beyond it is
        // shared with the VM's neighbours.
        let cached = try await countedRun(tools, name: "cache", port: 0x4B00_1008, cards: sizes.parents,
                                          options: ["--cache-sim=yes", "--I1=32768,8,64", "--D1=49152,12,64", "--LL=1048576,16,64"],
                                          warm: 2 * sizes.parents, dump: false)
        try keep([(cached.create, "misses.create"), (cached.delete, "misses.delete")], of: "P2l")
        let createMisses = try Self.counts(of: cached.create), deleteMisses = try Self.counts(of: cached.delete)
        let parents = sizes.parents
        report.add(Figure("P2l", "model last-level misses per dev-new, \(parents) parents (1 MiB)", value: createMisses.lastLevelMisses / count, unit: ""))
        report.add(Figure("P2l", "model last-level misses per dev-del, \(parents) parents (1 MiB)", value: deleteMisses.lastLevelMisses / count, unit: ""))
        report.add(Figure("P2l", "model L1 data misses per dev-new and dev-del (48 KiB)", value: (createMisses.firstLevelDataMisses + deleteMisses.firstLevelDataMisses) / count, unit: ""))
    }

    /// Copies callgrind dumps to `--profiles DIR` as `callgrind.NAME`, when asked.
    private mutating func keep(_ dumps: [(path: String, name: String)], of figures: String) throws {
        guard let profiles else { return }
        try FileManager.default.createDirectory(at: profiles, withIntermediateDirectories: true)
        for dump in dumps {
            let kept = profiles.appendingPathComponent("callgrind.\(dump.name)")
            try? FileManager.default.removeItem(at: kept)
            try FileManager.default.copyItem(atPath: dump.path, toPath: kept.path)
        }
        report.note("callgrind profiles of \(figures) kept in \(profiles.path) (\(dumps.map { "callgrind.\($0.name)" }.joined(separator: ", ")))")
    }

    /// valgrind, callgrind_control and objcopy, when all are installed.
    struct CallgrindTools {
        let valgrind: String
        let control: String
        let objcopy: String

        init?() {
            guard let valgrind = Suite.which("valgrind"), let control = Suite.which("callgrind_control"),
                  let objcopy = Suite.which("objcopy") else { return nil }
            self.valgrind = valgrind
            self.control = control
            self.objcopy = objcopy
        }
    }

    /// The callgrind dumps of one run of the model on `cards` mtty cards
    /// without nodes or sysfs: `warm` pipelined creates and their deletes,
    /// then `sizes.instructionOps` creates, a dump of them when `dump`,
    /// and their deletes, each part counted in a file of its own (`dump`'s
    /// path empty when none was asked for).
    private func countedRun(_ tools: CallgrindTools, name: String, port: UInt32, cards: Int, options: [String],
                            warm: Int, dump: Bool) async throws -> (create: String, dump: String, delete: String) {
        // Valgrind gives up on the debug information Swift writes; a copy
        // without it runs, and keeps its symbols for callgrind_annotate.
        let model = scratch.appendingPathComponent("subdevd-for-callgrind").path
        if !FileManager.default.fileExists(atPath: model) {
            _ = try run(tools.objcopy, ["--strip-debug", binaries.appendingPathComponent("subdevd").path, model])
        }
        let hardware = scratch.appendingPathComponent("\(name).yaml").path
        try writeScaleHardware(to: hardware, parents: cards, ports: 1_024)
        let counts = scratch.appendingPathComponent("callgrind-\(name)").path
        let process = try ModelProcess(executable: model, port: port, root: scratch.appendingPathComponent("root-\(name)").path,
                                       hardware: hardware, sysfs: false, nodes: false,
                                       wrapper: [tools.valgrind, "--tool=callgrind"] + options + ["--callgrind-out-file=\(counts).%p"])
        defer { process.stop() }
        let client = try await SubdevClient.connect(port: process.port, timeout: 120)
        var creator = Creator(client: client, parents: scaleParents(cards))
        let warmed = try await creator.create(warm)
        if dump { _ = try await client.devices() }
        try await creator.delete(warmed)
        let pid = "\(process.process.processIdentifier)"
        let count = sizes.instructionOps
        _ = try run(tools.control, ["-z", pid])
        let handles = try await creator.create(count)
        _ = try run(tools.control, ["-d", pid])
        if dump {
            let dumped = try await client.devices().count
            _ = try run(tools.control, ["-d", pid])
            guard dumped == count else { throw BenchError("the dump read \(dumped) subdevices, not the \(count) made") }
        }
        try await creator.delete(handles)
        _ = try run(tools.control, ["-d", pid])
        // callgrind_control numbers the dumps from 1, one per `-d`.
        return ("\(counts).\(pid).1", dump ? "\(counts).\(pid).2" : "", "\(counts).\(pid).\(dump ? 3 : 2)")
    }

    /// What a callgrind dump counted, by event (its `events:` and
    /// `summary:` lines): `Ir`, and with the cache simulated `I1mr`,
    /// `D1mr`, `D1mw`, `ILmr`, `DLmr` and `DLmw` too.
    struct Counts {
        let events: [String: UInt64]

        var instructions: UInt64 { events["Ir", default: 0] }
        var lastLevelMisses: Double { Double(events["ILmr", default: 0] + events["DLmr", default: 0] + events["DLmw", default: 0]) }
        var firstLevelDataMisses: Double { Double(events["D1mr", default: 0] + events["D1mw", default: 0]) }
    }

    static func counts(of dump: String) throws -> Counts {
        let lines = try String(contentsOfFile: dump, encoding: .utf8).split(separator: "\n")
        func fields(_ prefix: String) -> [Substring]? {
            lines.first { $0.hasPrefix(prefix) }.map { $0.dropFirst(prefix.count).split(separator: " ") }
        }
        guard let names = fields("events:"), let values = fields("summary:"), names.count == values.count else {
            throw BenchError("no events and summary lines that agree in \(dump)")
        }
        var events: [String: UInt64] = [:]
        for (name, value) in zip(names, values) {
            guard let number = UInt64(value) else { throw BenchError("summary of \(dump) has \(value) for \(name), not a count") }
            events[String(name)] = number
        }
        return Counts(events: events)
    }

    /// The path of `program` on `PATH`, if it is there.
    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
