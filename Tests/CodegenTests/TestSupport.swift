import Foundation
import XCTest

/// Paths and process helpers shared by the codegen tests.
enum TestSupport {
    /// The package root: three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `<package root>/../shared/data`, where the kernel's schema and specs are kept.
    static let sharedData = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared")
        .appendingPathComponent("data")

    /// The committed spec.
    static func specText() throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent("Specs/subdev.yaml"), encoding: .utf8)
    }

    /// A file of `../shared/data`, or a skip that says why it is absent.
    static func sharedFile(_ name: String) throws -> URL {
        let url = sharedData.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent: the kernel's schema and specs live in ../shared/data next to the package")
        }
        return url
    }

    /// The full path of `tool` found on PATH, or `nil`.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments` in `directory`; returns its exit
    /// status and its standard output and error, interleaved.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A fresh temporary directory, removed when the test ends.
    static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("codegen-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock {
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }
}

extension String {
    /// The string with the first occurrence of `target` replaced, failing the
    /// test if there is none.
    func replacingFirst(_ target: String, with replacement: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let range = range(of: target) else {
            XCTFail("'\(target)' is not in the text", file: file, line: line)
            return self
        }
        return replacingCharacters(in: range, with: replacement)
    }
}
