import Foundation
import XCTest

/// A C client on plain libnl, built with gcc from Tests/Fixtures, against
/// subdevd: resolution with nothing but nl_socket_set_peer_port and
/// genl_ctrl_resolve, and the privilege split (uid 65534 gets EPERM on
/// dev-new, yet dumps and joins the config group).
final class PlainLibnlClientTests: XCTestCase {
    func buildClient() throws -> URL {
        try Fixtures.build("plain-libnl-client", libnl: true, for: self)
    }

    func run(_ executable: String, _ arguments: [String]) throws -> CommandResult {
        try runProcess(executable, arguments)
    }

    func values(_ output: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            for field in line.split(separator: " ") {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { values["\(line.split(separator: " ")[0].split(separator: "=")[0]).\(pair[0])"] = String(pair[1]) }
            }
        }
        return values
    }

    func testUnmodifiedLibnlClientResolvesAndCreatesAsRoot() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root, to send on NETLINK_GENERIC to a user-space port") }
        let client = try buildClient()
        let model = try ModelProcess.start()
        defer { model.stop() }
        let result = try run(client.path, [String(model.port), "generic"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let v = values(result.stdout)
        XCTAssertEqual(v["family.family"], "1280")
        XCTAssertNotNil(v["config.config"].flatMap(Int.init).map { (1...32).contains($0) }, result.stdout)
        XCTAssertEqual(v["dev-new.errno"], "0", result.stdout)
        XCTAssertEqual(v["dev-new.replies"], "1", "dev-new replies with the new subdevice")
        XCTAssertEqual(v["dev-dump.count"], "1", result.stdout)
        XCTAssertEqual(v["join-config.join-config"], "0")
    }

    func testNobodyGetsEPERMOnDevNewAndCanStillDumpAndSubscribe() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv (util-linux) to run a client as uid 65534")
        }
        let client = try buildClient()
        let model = try ModelProcess.start()
        defer { model.stop() }
        let setpriv = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        // Generic netlink refuses the unprivileged send outright.
        let generic = try run("/usr/bin/setpriv", setpriv + [client.path, String(model.port), "generic"])
        XCTAssertNotEqual(generic.status, 0)
        XCTAssertTrue(generic.stdout.contains("family=-"), "resolution over generic fails for nobody: \(generic.stdout)")
        // Usersock carries the request; the model refuses the mutation.
        let result = try run("/usr/bin/setpriv", setpriv + [client.path, String(model.port), "usersock"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let v = values(result.stdout)
        XCTAssertEqual(v["dev-new.errno"], String(EPERM), result.stdout)
        XCTAssertEqual(v["dev-new.replies"], "0")
        XCTAssertEqual(v["dev-dump.rc"], "0")
        XCTAssertEqual(v["dev-dump.count"], "0", "nothing was created")
        XCTAssertEqual(v["join-config.join-config"], "0", "joining a generic group needs no privilege")
    }

    func testCapabilitiesInAUserNamespaceOfItsOwnDoNotCount() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            throw XCTSkip("needs root, setpriv and unshare (util-linux)")
        }
        let client = try buildClient()
        let model = try ModelProcess.start()
        defer { model.stop() }
        // nobody makes a user namespace and is root with every capability
        // in it; the kernel would still refuse, and so does the model.
        let probe = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/unshare", "-Ur", "true"])
        guard probe.status == 0 else { throw XCTSkip("unprivileged user namespaces are disabled here: \(probe.stderr)") }
        let result = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                  "/usr/bin/unshare", "-Ur", client.path, String(model.port), "usersock"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        XCTAssertEqual(values(result.stdout)["dev-new.errno"], String(EPERM), result.stdout)
    }
}
