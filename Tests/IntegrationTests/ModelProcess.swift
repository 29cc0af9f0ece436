import Foundation
import XCTest
import Subdev

/// A `subdevd` child process on a port of its own, for one test.
///
/// Ports are drawn at random from ids whose low 22 bits are at least
/// 0x100000: above this machine's pid_max, so neither kernel autobind nor
/// libnl can hold them; a collision with another test's model is retried.
final class ModelProcess {
    let process = Process()
    let port: UInt32
    /// The model's root directory: device nodes and the sysfs-style tree.
    let root: String
    private let stdout = Pipe()
    private let stderr = Pipe()

    /// Directory holding the built products (`subdevd`, `subdev`).
    static var productsDirectory: URL {
        let bundle = Bundle(for: ModelProcess.self).bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }

    static func product(_ name: String) throws -> URL {
        let url = productsDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("\(name) is not built at \(url.path): run 'swift build' before 'swift test'")
        }
        return url
    }

    /// Starts `subdevd --port <random>` and waits for its ready line.
    static func start(arguments: [String] = [], port fixed: UInt32? = nil, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> ModelProcess {
        var lastError = ""
        for _ in 0..<5 {
            let port = fixed ?? (UInt32.random(in: 1...200) << 22 | UInt32.random(in: 0x100000..<0x400000))
            let model = try ModelProcess(port: port, arguments: arguments, environment: environment)
            if model.waitUntilReady() { return model }
            lastError = model.standardError()
        }
        XCTFail("subdevd did not start: \(lastError)", file: file, line: line)
        throw NSError(domain: "ModelProcess", code: 1)
    }

    private init(port: UInt32, arguments: [String], environment: [String: String]) throws {
        self.port = port
        root = FileManager.default.temporaryDirectory.appendingPathComponent("subdev-\(port)").path
        process.executableURL = try Self.product("subdevd")
        process.arguments = ["--port", String(port), "--root", root] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    /// Reads stdout until the ready line; `false` when the process exited
    /// first or had not said it within ten seconds.
    private func waitUntilReady() -> Bool {
        let ready = "subdevd ready port=\(port)\n"
        return stdout.read(until: { $0.contains(ready) }).contains(ready)
    }

    func standardError() -> String {
        if process.isRunning { return "" }
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            waitForExit(process)
        }
    }

    deinit { stop() }
}

/// Runs a built product to completion and returns its exit status and output.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runProduct(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try runProcess(try ModelProcess.product(name).path, arguments, environment: environment)
}

/// Runs `executable` to completion with `environment` added to ours.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    let out = Pipe(), err = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    waitForExit(process)
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// Waits for `process` to end, at most 10 s. (Foundation's waitUntilExit
/// spins a run loop at full CPU off the main thread.)
func waitForExit(_ process: Process) {
    let deadline = Date().addingTimeInterval(10)
    while process.isRunning, Date() < deadline { usleep(5_000) }
}

/// The holders of `device` once the model has seen one (a connection is
/// accepted when the model next polls), or none after about a second.
func heldBy(_ device: DeviceHandle, _ client: SubdevClient) async throws -> [HolderInfo] {
    var holders: [HolderInfo] = []
    for _ in 0..<50 where holders.isEmpty {
        holders = try await client.device(device).holders
        if holders.isEmpty { try await Task.sleep(nanoseconds: 20_000_000) }
    }
    return holders
}

/// Starts `executable` and waits for its first line of output.
func startWaitingForLine(_ executable: String, _ arguments: [String], stdin: Pipe? = nil) throws -> (Process, String) {
    let process = Process()
    let out = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = out
    if let stdin { process.standardInput = stdin }
    try process.run()
    let line = out.readLines(1)
    // Only the first: a quick program may have written more by now.
    return (process, String(line.prefix { $0 != "\n" }))
}
