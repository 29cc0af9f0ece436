import Foundation
import XCTest

/// A `subdev-stress` process: random operations from a seed against a
/// model, logging each request before it is sent and each
/// acknowledgement after it arrives.
final class StressWorker {
    let process = Process()
    let number: Int
    let logPath: String
    private let stdout = Pipe()
    private let stderr = Pipe()

    /// Starts worker `number`; `operations` 0 runs until it is killed.
    init(number: Int, seed: UInt64, operations: Int, port: UInt32, directory: URL) throws {
        self.number = number
        logPath = directory.appendingPathComponent("worker-\(number).log").path
        process.executableURL = try ModelProcess.product("subdev-stress")
        process.arguments = ["--port", String(port), "--seed", String(seed), "--worker", String(number),
                             "--operations", String(operations), "--log", logPath]
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    /// Waits for the worker to finish on its own and returns its summary
    /// (the JSON line it prints), failing the test when it did not exit 0.
    func finish(within seconds: Double = 120, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            XCTFail("worker \(number) did not finish in \(seconds) s", file: file, line: line)
            return [:]
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, "worker \(number): \(errors)", file: file, line: line)
        return (try? JSONSerialization.jsonObject(with: output)) as? [String: Any] ?? [:]
    }

    /// Kills the worker with SIGKILL and reaps it.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        waitForExit(process)
    }

    /// The log's lines, split into words.
    func logLines() -> [[Substring]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ") }
    }
}
