import ArgumentParser
import Foundation
import Netlink
import Subdev

/// Options every command takes, before or after the object and verb.
struct GlobalOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print JSON instead of text.")
    var json = false

    @Flag(name: [.short, .long], help: "Indent JSON output (with -j).")
    var pretty = false

    @Option(name: .long, help: ArgumentHelp(
        "Netlink port id of the family (decimal or 0x hex); 0 is the kernel. Default: $SUBDEV_NL_PORT, else 1258291200.",
        valueName: "id"))
    var port: String?

    @Option(name: .long, help: ArgumentHelp(
        "Netlink protocol for requests: automatic (generic when privileged, else usersock), generic, usersock.",
        valueName: "transport"))
    var transport: Transport = .automatic

    /// Connects to the family, or throws a message for the operator.
    func connect() async throws -> SubdevClient {
        var peer: UInt32?
        if let port {
            guard let value = SubdevClient.parsePort(port) else {
                throw CLIError("port \(port) is not a netlink port id: give 0 to 4294967295, decimal or 0x hex")
            }
            peer = value
        }
        return try await SubdevClient.connect(port: peer, transport: transport)
    }

    var output: Output { Output(json: json, pretty: pretty) }

    /// Options that take a value, so their value moves with them.
    static let valued: Set<String> = ["--port", "--transport", "--config-dir", "--node", "--driver"]

    /// Moves the options that come before the verb (`subdev -j dev show`,
    /// `subdev dev -j show`) to the end, where the parser looks for them.
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var kept: [String] = []
        var words = 0
        var rest = arguments[...]
        while let word = rest.popFirst() {
            if word == "--" || word == CompletionCommand.configuration.commandName {
                // What follows is taken as it is.
                kept.append(word)
                kept += rest
                break
            }
            if words < 2, word.hasPrefix("-"), word != "--help", word != "-h" {
                moved.append(word)
                if valued.contains(word), let value = rest.popFirst() { moved.append(value) }
            } else {
                if !word.hasPrefix("-") { words += 1 }
                kept.append(word)
            }
        }
        return kept + moved
    }
}

extension Transport: ExpressibleByArgument {}

/// An error for the operator, printed as `Error: <message>`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command body and turns any failure into `Error: <message>` on
/// stderr and exit status 1, as iproute2 tools report errors.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
