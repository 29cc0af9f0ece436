import ArgumentParser
import Foundation

/// `subdev-bench`: the performance suite. Every figure is printed beside
/// the floor measured in the same run, as a ratio; nothing here passes or
/// fails on time.
@main
struct SubdevBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subdev-bench",
        abstract: "Measure subdev against the physical floor: round trips, pipelined creation, dumps, delivery, memory, cold start.")

    @Flag(help: "Small sizes that show every part works in seconds (what CI runs).")
    var smoke = false

    @Option(help: ArgumentHelp("Write the figures as JSON here.", valueName: "path"))
    var json: String?

    @Option(help: ArgumentHelp("Run only these parts, comma-separated: floor, round-trips, delivery, nodes, scale, instructions (P2i, P3i and P2l, under callgrind), and dump (P3 alone, on a fresh model; scale includes it).", valueName: "parts"))
    var only: String?

    @Option(help: ArgumentHelp("Keep the callgrind profiles of P2i and P3i (create, dump, delete) and of P2l (misses.create, misses.delete) in this directory, one file each, for callgrind_annotate.", valueName: "dir"))
    var profiles: String?

    @Option(help: ArgumentHelp("The repository, for Benchmarks/C and the uAPI header (default: where this was built from).", valueName: "path"))
    var sourceRoot: String?

    func run() async throws {
        let parts = Set((only ?? "floor,round-trips,delivery,nodes,scale,instructions").split(separator: ",").map(String.init))
        let root = sourceRoot.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On tmpfs, as the real device nodes and sysfs live in memory.
        let memory = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let scratch = memory.appendingPathComponent("subdev-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let sizes = smoke ? Sizes.smoke : Sizes()
        var suite = Suite(sizes: sizes, binaries: binaries,
                          programs: try CPrograms(sourceRoot: root, scratch: scratch), scratch: scratch,
                          profiles: profiles.map { URL(fileURLWithPath: $0) },
                          report: Report(mode: smoke ? "smoke" : "full", machine: Self.machine()))
        print("subdev-bench (\(suite.report.mode)) on \(suite.report.machine)")
        if !suite.report.judgesTargets {
            print("targets are shown, not judged: a smoke's sizes are too small for its ratios to mean anything")
        }
        print(Report.header)
        try suite.measureFloor()
        guard let floor = suite.report.floor else { throw BenchError("no floor figures") }
        if parts.contains("round-trips") { try await suite.measureRoundTrips(floor: floor) }
        if parts.contains("delivery") { try await suite.measureDelivery() }
        if parts.contains("nodes") { try await suite.measureNodes(floor: floor) }
        if parts.contains("instructions") { try await suite.measureInstructions() }
        if parts.contains("scale") {
            try await suite.measureScale(floor: floor)
        } else if parts.contains("dump") {
            try await suite.measureDumpAlone()
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(suite.report).write(to: URL(fileURLWithPath: json))
            print("figures written to \(json)")
        }
    }

    /// CPU model and count, for the report.
    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) × \(model)"
    }
}
