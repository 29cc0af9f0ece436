import Foundation
import Synchronization
import XCTest

/// One JSON line of the example VMM's log: its event, the subdevice, and
/// the other fields as text.
struct VMMLogLine: Sendable, Equatable, CustomStringConvertible {
    var event: String
    var fields: [String: String]

    subscript(_ key: String) -> String? { fields[key] }

    var description: String { "\(event) \(fields.filter { $0.key != "ms" }.sorted { $0.key < $1.key })" }
}

/// The example VMM, `subdev-vmm-example`, as a child process holding
/// subdevices; its log is read as it is written.
final class VMMProcess: Sendable {
    let process: UncheckedProcess
    private let log = Mutex<[VMMLogLine]>([])
    /// Whether the log reached its end: the VMM's lines are read on their
    /// own thread, which may still have some to read when it has exited.
    private let logEnded = Mutex(false)

    /// Process is not Sendable; only its thread-safe members are used here.
    struct UncheckedProcess: @unchecked Sendable {
        let value: Process
    }

    var pid: Int32 { process.value.processIdentifier }

    /// Starts the VMM on `devices` at the model's port and waits until it
    /// logs `ready` (it holds them all).
    init(model: ModelProcess, devices: [String], arguments: [String] = [], for test: XCTestCase) throws {
        let process = Process()
        let out = Pipe()
        process.executableURL = try ModelProcess.product("subdev-vmm-example")
        process.arguments = ["--port", String(model.port)] + arguments + devices
        process.standardOutput = out
        self.process = UncheckedProcess(value: process)
        try process.run()
        test.addTeardownBlock { [self] in
            kill(pid, SIGKILL)
            waitForExit(self.process.value)
        }
        let reader = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty {
                    logEnded.withLock { $0 = true }
                    break
                }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    if let parsed = Self.parse(Data(line)) { log.withLock { $0.append(parsed) } }
                }
            }
        }
        guard waitForSync("ready", timeout: 10) != nil else {
            throw XCTSkip("the example VMM did not get ready: \(lines)")
        }
    }

    static func parse(_ line: Data) -> VMMLogLine? {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let event = object["event"] as? String else { return nil }
        var fields: [String: String] = [:]
        for (key, value) in object where key != "event" { fields[key] = "\(value)" }
        return VMMLogLine(event: event, fields: fields)
    }

    /// Everything logged so far.
    var lines: [VMMLogLine] { log.withLock { $0 } }

    /// The events logged so far, without the timing.
    var events: [String] { lines.map(\.event) }

    /// Waits until `event` is logged (the `occurrence`th time); returns
    /// its line, or `nil` after `timeout` seconds.
    @discardableResult
    func waitFor(_ event: String, occurrence: Int = 1, timeout: Double = 5) async -> VMMLogLine? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let matches = lines.filter { $0.event == event }
            if matches.count >= occurrence { return matches[occurrence - 1] }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    private func waitForSync(_ event: String, timeout: Double) -> VMMLogLine? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.first(where: { $0.event == event }) { return line }
            usleep(10_000)
        }
        return nil
    }

    /// Waits for the VMM to exit and its log to be read to the end;
    /// returns its status, or `nil` if it did not exit within `timeout`.
    func exitStatus(timeout: Double = 5) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.value.isRunning || !logEnded.withLock({ $0 }), Date() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.value.isRunning ? nil : process.value.terminationStatus
    }
}
