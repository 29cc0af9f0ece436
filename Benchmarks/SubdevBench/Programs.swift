import Foundation
import Subdev

/// Runs a program to its end and returns its standard output; throws with
/// its standard error when it fails.
func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let problems = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchError("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: problems, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The C programs of `Benchmarks/C`, built with gcc into a scratch folder.
struct CPrograms {
    let floor: String
    let libnlDump: String

    init(sourceRoot: URL, scratch: URL) throws {
        let sources = sourceRoot.appendingPathComponent("Benchmarks/C")
        floor = scratch.appendingPathComponent("netlink-floor").path
        libnlDump = scratch.appendingPathComponent("libnl-dump").path
        _ = try run("/usr/bin/gcc", ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                                     sources.appendingPathComponent("netlink-floor.c").path, "-o", floor])
        _ = try run("/usr/bin/gcc", ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I/usr/include/libnl3",
                                     "-I" + sourceRoot.appendingPathComponent("include/uapi").path,
                                     sources.appendingPathComponent("libnl-dump.c").path, "-o", libnlDump,
                                     "-lnl-genl-3", "-lnl-3"])
    }
}

/// A `subdevd` started for the suite, stopped with SIGTERM.
final class ModelProcess {
    let process = Process()
    let port: UInt32

    /// `wrapper` runs the model under another program (valgrind): its
    /// path and arguments, before the model's own.
    init(executable: String, port: UInt32, root: String, hardware: String?, sysfs: Bool, nodes: Bool,
         wrapper: [String] = []) throws {
        self.port = port
        let arguments = ["--port", "\(port)", "--root", root]
            + (hardware.map { ["--hardware", $0] } ?? []) + (sysfs ? [] : ["--no-sysfs"]) + (nodes ? [] : ["--no-device-nodes"])
        if let program = wrapper.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = wrapper.dropFirst() + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // subdevd prints its ready line once it serves.
        var text = ""
        while !text.contains("ready") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("subdevd exited before it was ready") }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// Resident memory in bytes (`VmRSS`).
    var residentBytes: UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = UInt64(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    /// The CPU time it has run, in nanoseconds (the first field of
    /// /proc/PID/schedstat): finer than the clock ticks of /proc/PID/stat.
    var cpuNanoseconds: UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/schedstat", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { UInt64($0) }
    }

    /// The soft limit on its open files (`Max open files` of /proc/PID/limits).
    var descriptorLimit: Int? {
        guard let limits = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8),
              let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The handles of the cards `writeScaleHardware` describes.
func scaleParents(_ count: Int) -> [ParentHandle] {
    (0..<count).map { ParentHandle(bus: "virtual", name: "mtty\($0)") }
}

/// A hardware file of `parents` mtty cards with `ports` ports each: room
/// for `parents * ports` subdevices of type mtty-1.
func writeScaleHardware(to path: String, parents: Int, ports: Int) throws {
    var text = "parents:\n"
    for index in 0..<parents {
        text += "  - bus: virtual\n    name: mtty\(index)\n    driver: mtty\n    iommu-group: 0\n    config:\n      ports: \(ports)\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}
