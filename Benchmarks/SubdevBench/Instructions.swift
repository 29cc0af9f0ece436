import Foundation
import Subdev

/// P2i and P3i: the instructions the model executes per pipelined create,
/// per delete and per subdevice of a dump, counted by callgrind. Unlike
/// the timed figures they do not move with a busy machine, so they are
/// the ones to compare a change with the last: they show what the model's
/// own code costs, without the kernel, the wake-ups or the client.
extension Suite {
    mutating func measureInstructions() async throws {
        guard let valgrind = Self.which("valgrind"), let control = Self.which("callgrind_control"),
              let objcopy = Self.which("objcopy") else {
            report.note("P2i and P3i not measured: they need valgrind (with callgrind_control) and objcopy (binutils).")
            return
        }
        // Valgrind gives up on the debug information Swift writes; a copy
        // without it runs, and keeps its symbols for callgrind_annotate.
        let model = scratch.appendingPathComponent("subdevd-for-callgrind").path
        _ = try run(objcopy, ["--strip-debug", binaries.appendingPathComponent("subdevd").path, model])
        let hardware = scratch.appendingPathComponent("instructions.yaml").path
        let cards = 10
        try writeScaleHardware(to: hardware, parents: cards, ports: 1_024)
        let counts = scratch.appendingPathComponent("callgrind").path
        let process = try ModelProcess(executable: model, port: 0x4B00_1007, root: scratch.appendingPathComponent("root-instructions").path,
                                       hardware: hardware, sysfs: false, nodes: false,
                                       wrapper: [valgrind, "--tool=callgrind", "--callgrind-out-file=\(counts).%p"])
        defer { process.stop() }
        let client = try await SubdevClient.connect(port: process.port, timeout: 120)
        var creator = Creator(client: client, parents: scaleParents(cards))
        // Warm: each parent's encoding, the tables' first growth, and the
        // type metadata the dump's path looks up once per process (about
        // 2M instructions, 400 a subdevice of a dump of 5 000, counted in
        // P3i until issue 6's ninth session).
        let warm = try await creator.create(min(500, sizes.instructionOps))
        _ = try await client.devices()
        try await creator.delete(warm)
        let pid = "\(process.process.processIdentifier)"
        let count = sizes.instructionOps
        _ = try run(control, ["-z", pid])
        let handles = try await creator.create(count)
        _ = try run(control, ["-d", pid])
        let dumped = try await client.devices().count
        _ = try run(control, ["-d", pid])
        try await creator.delete(handles)
        _ = try run(control, ["-d", pid])
        guard dumped == count else { throw BenchError("the dump read \(dumped) subdevices, not the \(count) made") }
        let created = try Self.total(of: "\(counts).\(pid).1"), dump = try Self.total(of: "\(counts).\(pid).2"),
            deleted = try Self.total(of: "\(counts).\(pid).3")
        if let profiles {
            try FileManager.default.createDirectory(at: profiles, withIntermediateDirectories: true)
            for (part, name) in [(1, "create"), (2, "dump"), (3, "delete")] {
                let kept = profiles.appendingPathComponent("callgrind.\(name)")
                try? FileManager.default.removeItem(at: kept)
                try FileManager.default.copyItem(atPath: "\(counts).\(pid).\(part)", toPath: kept.path)
            }
            report.note("callgrind profiles of P2i and P3i kept in \(profiles.path) (callgrind.create, .dump, .delete)")
        }
        report.add(Figure("P2i", "model instructions per pipelined dev-new (callgrind)", value: Double(created) / Double(count) / 1000, unit: "k"))
        report.add(Figure("P2i", "model instructions per pipelined dev-del (callgrind)", value: Double(deleted) / Double(count) / 1000, unit: "k"))
        report.add(Figure("P3i", "model instructions per dumped subdevice (callgrind)", value: Double(dump) / Double(count) / 1000, unit: "k"))
    }

    /// The instructions a callgrind dump counted (its `summary:` line).
    static func total(of dump: String) throws -> UInt64 {
        let text = try String(contentsOfFile: dump, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") }),
              let total = UInt64(line.dropFirst("summary:".count).trimmingCharacters(in: .whitespaces)) else {
            throw BenchError("no summary line in \(dump)")
        }
        return total
    }

    /// The path of `program` on `PATH`, if it is there.
    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
