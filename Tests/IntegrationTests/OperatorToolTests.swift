import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What an operator installs and meets around the commands: man pages,
/// bash completion, -V, help on every verb, and the service's readiness.
final class OperatorToolTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testManPagesRenderWithoutWarningsAndAreInstalled() throws {
        for page in ["subdev", "subdevd"] {
            let source = Self.packageRoot.appendingPathComponent("Docs/\(page).8").path
            let man = try runProcess("/usr/bin/env", ["man", "--warnings", "-E", "UTF-8", "-l", source],
                                     environment: ["MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0", "PAGER": "cat"])
            XCTAssertEqual(man.status, 0, man.stderr)
            XCTAssertEqual(man.stderr, "", "man -l \(page).8 warns")
            XCTAssertTrue(man.stdout.hasPrefix("\(page.uppercased())(8)"), man.stdout)
            let groff = try runProcess("/usr/bin/env", ["groff", "-ww", "-z", "-man", source])
            XCTAssertEqual(groff.stderr, "", "groff warns on \(page).8")
            // The README's set-up installed this very page where man finds it.
            let found = try runProcess("/usr/bin/env", ["man", "-w", "8", page])
            XCTAssertEqual(found.status, 0, "\(page)(8) is not installed: run scripts/install-docs.sh (\(found.stderr))")
            let installed = found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(FileManager.default.contents(atPath: installed), FileManager.default.contents(atPath: source),
                           "\(installed) is not Docs/\(page).8: run scripts/install-docs.sh")
        }
    }

    func testVersion() throws {
        for program in ["subdev", "subdevd"] {
            for flag in ["-V", "--version"] {
                let result = try runProduct(program, [flag])
                XCTAssertEqual(result.status, 0, result.stderr)
                XCTAssertTrue(result.stdout.hasPrefix("\(program) 0."), result.stdout)
                XCTAssertTrue(result.stdout.hasSuffix("(family subdev version 1)\n"), result.stdout)
            }
        }
    }

    /// Every command of the tree answers `help ...` and `... -h` with its usage.
    func testHelpOnEveryVerb() throws {
        let commands: [[String]] = [
            [], ["parent"], ["parent", "show"], ["type"], ["type", "show"], ["dev"],
            ["dev", "add"], ["dev", "show"], ["dev", "set"], ["dev", "del"], ["dev", "define"], ["dev", "undefine"],
            ["dev", "start"], ["dev", "stop"], ["dev", "list"], ["dev", "autostart"], ["dev", "compat"],
            ["monitor"], ["inject"], ["inject", "aer"], ["inject", "hotplug"], ["inject", "surprise-remove"],
            ["inventory"], ["agent"],
        ]
        for command in commands {
            let viaHelp = try runProduct("subdev", ["help"] + command)
            XCTAssertEqual(viaHelp.status, 0, "help \(command): \(viaHelp.stderr)")
            XCTAssertTrue(viaHelp.stdout.contains("USAGE: subdev"), "help \(command): \(viaHelp.stdout)")
            let viaFlag = try runProduct("subdev", command + ["-h"])
            XCTAssertEqual(viaFlag.status, 0, "\(command) -h: \(viaFlag.stderr)")
            XCTAssertEqual(viaFlag.stdout, viaHelp.stdout, "\(command): -h and help agree")
        }
    }

    /// The installed completion script, run by bash against a live model.
    func testBashCompletionFromTheLiveModel() throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let configDir = try temporaryDirectory(for: self)
        XCTAssertEqual(try subdev(["dev", "add", "virtual/mtty", "type", "mtty-1", "name", "tty0"], model: model).status, 0)
        XCTAssertEqual(try subdev(["dev", "define", "virtual/mtty", "type", "mtty-2", "name", "later"], model: model, configDir: configDir).status, 0)
        let cases: [(String, [String])] = [
            ("subdev ", ["parent", "type", "dev", "monitor", "inject", "inventory", "agent", "help"]),
            ("subdev d", ["dev"]),
            ("subdev dev s", ["show", "set", "start", "stop"]),
            ("subdev type show ", ["pci/0000:6a:01.0", "pci/0000:3b:00.0", "virtual/mtty"]),
            // bash breaks words at ':', so the candidate is what follows the last one.
            ("subdev dev add pci/0000:6a:0", ["01.0"]),
            ("subdev dev add pci/0000:6a:01.0 type ", ["dwq", "swq-slice"]),
            ("subdev dev add pci/0000:6a:01.0 type dwq wq", ["wq-size"]),
            ("subdev dev add pci/0000:6a:01.0 type dwq ats-disable ", ["true", "false"]),
            ("subdev dev add virtual/mtty type mtty-1 parity ", ["none", "even", "odd"]),
            ("subdev dev add virtual/mtty type mtty-1 name x ", ["state", "node-uid", "node-gid", "node-mode", "baud", "parity", "label"]),
            ("subdev dev set tty0 ", ["state", "baud", "parity"]),
            ("subdev dev del t", ["tty0"]),
            ("subdev dev start ", ["later"]),
            ("subdev dev autostart later ", ["on", "off"]),
            ("subdev inject hotplug virtual/mtty ", ["remove", "add", "cancel"]),
        ]
        let script = Self.packageRoot.appendingPathComponent("completions/subdev.bash").path
        let bin = ModelProcess.productsDirectory.path
        for (line, expected) in cases {
            let program = """
                source \(script)
                COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
                _subdev
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let result = try runProcess("/bin/bash", ["-c", program], environment: [
                "PATH": "\(bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
                "SUBDEV_NL_PORT": String(model.port), "SUBDEV_CONFIG_DIR": configDir,
            ])
            XCTAssertEqual(result.stdout.split(separator: "\n").map(String.init), expected, line)
        }
    }

    func testCompletionWithoutAModelStillCompletesTheCommandTree() throws {
        let result = try runProduct("subdev", ["__complete", "--", "--port", "2146435072", "dev", "add", ""])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "", "no parents to offer when nothing answers")
        XCTAssertEqual(try runProduct("subdev", ["__complete", "--", "inject", ""]).stdout, "aer\nhotplug\nsurprise-remove\n")
    }

    /// subdevd tells a service manager it is ready, and that it is stopping,
    /// as sd_notify does: a datagram to $NOTIFY_SOCKET.
    func testReadinessIsNotifiedToNotifySocket() throws {
        let directory = try temporaryDirectory(for: self)
        let path = directory + "/notify"
        let receiver = try DatagramReceiver(path: path)
        let model = try ModelProcess.start(environment: ["NOTIFY_SOCKET": path])
        let ready = try XCTUnwrap(receiver.receive(timeoutMilliseconds: 5000), "no READY=1 from subdevd")
        let fields = ready.split(separator: "\n").map(String.init)
        XCTAssertTrue(fields.contains("READY=1"), ready)
        XCTAssertTrue(fields.contains("MAINPID=\(model.process.processIdentifier)"), ready)
        XCTAssertTrue(fields.contains { $0.hasPrefix("STATUS=serving family subdev at port \(model.port)") }, ready)
        // It answers by the time it says so.
        XCTAssertEqual(try subdev(["parent", "show", "virtual/mtty"], model: model).status, 0)
        model.stop()
        let stopping = try XCTUnwrap(receiver.receive(timeoutMilliseconds: 5000), "no STOPPING=1 from subdevd")
        XCTAssertTrue(stopping.hasPrefix("STOPPING=1"), stopping)
    }

    /// The unit file passes systemd's own checks, with its ExecStart
    /// pointed at the built daemon.
    func testSystemdUnitVerifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            throw XCTSkip("systemd-analyze is not installed, so the unit cannot be verified here")
        }
        let directory = try temporaryDirectory(for: self)
        let unit = try String(contentsOf: Self.packageRoot.appendingPathComponent("contrib/systemd/subdevd.service"), encoding: .utf8)
        XCTAssertTrue(unit.contains("Type=notify"), "subdevd notifies readiness; the unit must wait for it")
        let daemon = try ModelProcess.product("subdevd").path
        try unit.replacingOccurrences(of: "/usr/local/bin/subdevd", with: daemon)
            .write(toFile: directory + "/subdevd.service", atomically: true, encoding: .utf8)
        let result = try runProcess("/usr/bin/systemd-analyze", ["verify", directory + "/subdevd.service"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        XCTAssertEqual(result.stderr, "", "systemd-analyze verify complains")
    }
}

/// A bound AF_UNIX datagram socket, as systemd's notify socket is.
final class DatagramReceiver {
    let descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// The next datagram as text; `nil` when none comes in time.
    func receive(timeoutMilliseconds: Int32) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    deinit { close(descriptor) }
}
