// The model's request path under libFuzzer: each input is one datagram,
// answered as subdevd answers one from a privileged sender (decode, policy
// validation, dispatch, handlers), against one live in-process model whose
// state carries over from input to input. It fails, by trapping, when an
// answer is not well-formed netlink, or when a request goes unanswered.
//
// Built normally, it replays files (a corpus) given as arguments; built
// with -sanitize=fuzzer -DFUZZING (Docs/reliability.md) it is a libFuzzer
// binary.

import FuzzSupport
import Foundation
import Netlink
import SubdevModel
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

enum ModelRequestsFuzz {
    /// The sender every input comes from.
    static let senderPort: UInt32 = 0x7FFE_0001

    /// How many inputs one model answers before a fresh one replaces it.
    /// State carries over between inputs, so that a create reaches the
    /// handlers of an existing subdevice, but not for ever: a model full of
    /// subdevices makes every dump, and so every input, slower.
    static let inputsPerModel = 20_000

    /// The model of the current stretch of inputs, made at its first
    /// input. libFuzzer calls from one thread.
    nonisolated(unsafe) static var model: ModelServer?
    nonisolated(unsafe) static var answered = 0

    static func server() -> ModelServer {
        if answered == inputsPerModel {
            // The old model's sockets close before the new one binds the port.
            model = nil
            answered = 0
        }
        answered += 1
        if let model { return model }
        var configuration = ModelConfiguration()
        // A port of the process's own; the model never waits on it here.
        configuration.port = 0x4B40_0000 | (UInt32(getpid()) & 0xFFFFF)
        configuration.root = ModelRoot(path: NSTemporaryDirectory() + "subdev-fuzz-\(getpid())")
        configuration.sysfsMirror = false
        configuration.deviceNodes = false
        do {
            let machine = try HardwareFile.load(try HardwareFile.embeddedDefault(), plugins: PluginRegistry.builtIn)
            let made = try ModelServer(configuration: configuration, machine: machine)
            model = made
            return made
        } catch {
            FileHandle.standardError.write(Data("subdev-fuzz: cannot start the model: \(error)\n".utf8))
            exit(2)
        }
    }

    /// Answers `bytes` and checks the answer.
    static func run(_ bytes: [UInt8]) {
        var answers: [[UInt8]] = []
        server().answer(bytes, from: senderPort, credentials: Credentials(pid: getpid(), uid: 0, gid: 0),
                        senderIsAdmin: true) { answers.append($0) }
        // Requests of the family's range; control types are skipped, as the kernel skips them.
        let requests = NetlinkMessage.leadingMessages(of: bytes).filter {
            $0.header.flags.contains(.request) && $0.header.type >= MessageType.minType
        }
        var ends = 0
        for datagram in answers {
            guard let messages = try? NetlinkMessage.parse(datagram) else {
                fatalError("the model sent a datagram that is not netlink: \(datagram.prefix(64))")
            }
            for message in messages {
                guard message.header.port == senderPort else { fatalError("an answer to port \(message.header.port)") }
                // An error (or ack) ends a do; NLMSG_DONE ends a dump.
                if message.header.type == MessageType.error || message.header.type == MessageType.done { ends += 1 }
            }
        }
        // A do without NLM_F_ACK that succeeds ends with its reply, not an ack.
        let quietDos = requests.filter { !$0.header.flags.contains(.ack) && !$0.header.flags.contains(.dump) }.count
        if ends + quietDos < requests.count {
            fatalError("\(requests.count) requests, \(ends) ends: a request went unanswered")
        }
    }
}

@main
struct FuzzMain {
    static func main() {
        FuzzTarget.main(tool: "subdev-fuzz", replayed: "all answered", run: ModelRequestsFuzz.run, seeds: { Seeds.all })
    }
}
