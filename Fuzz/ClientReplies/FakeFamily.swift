import Foundation
import Netlink
import SubdevModel
import SubdevUAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The other end of the client under fuzzing: a generic netlink socket on
/// a port of its own that answers nlctrl truthfully (through an
/// in-process model, so the family id and groups are real) and answers
/// every family request with the bytes the fuzzer chose, then the
/// NLMSG_ERROR or NLMSG_DONE that ends the request, so that the client
/// always has an end to read. It also broadcasts chosen bytes on the
/// family's groups.
///
/// Runs one thread of its own; `reply` and `mode` are set by the fuzzing
/// thread before each call.
final class FakeFamily: Sendable {
    /// How a chosen reply goes out.
    struct Mode: OptionSet, Sendable {
        let rawValue: UInt8
        /// Give each well-framed message the request's sequence number and port.
        static let matchRequest = Mode(rawValue: 1)
        /// One datagram per message rather than all in one.
        static let splitDatagrams = Mode(rawValue: 2)
        /// Forward requests to the in-process model instead (to record seeds).
        static let forwardToModel = Mode(rawValue: 4)
    }

    let port: UInt32
    let socket: NetlinkSocket
    let familyID: UInt16
    let groupIDs: [String: UInt32]
    private let model: ModelBox
    private let state = Mutex<(reply: [UInt8], mode: Mode, recorded: [[UInt8]])>(([], [], []))
    /// Sends go through one lock: libnl keeps the destination in the
    /// socket, so a broadcast from the fuzzing thread and a reply from the
    /// peer's thread must not interleave.
    private let sending = Mutex(())

    /// The model answers nlctrl and, in seed-recording mode, the family;
    /// only the peer's thread calls it.
    final class ModelBox: @unchecked Sendable {
        let server: ModelServer
        init(_ server: ModelServer) { self.server = server }
    }

    init() throws {
        let base = 0x4B80_0000 | (UInt32(getpid()) & 0xFFFFF)
        var configuration = ModelConfiguration()
        configuration.port = base &+ 0x0010_0000
        configuration.root = ModelRoot(path: NSTemporaryDirectory() + "subdev-fuzz-client-\(getpid())")
        configuration.sysfsMirror = false
        configuration.deviceNodes = false
        let machine = try HardwareFile.load(try HardwareFile.embeddedDefault(), plugins: PluginRegistry.builtIn)
        let server = try ModelServer(configuration: configuration, machine: machine)
        model = ModelBox(server)
        familyID = configuration.familyID
        groupIDs = server.groupIDs
        port = base
        socket = try NetlinkSocket(protocol: .generic, localPort: base)
        try socket.setBufferSizes(receive: 4 << 20, send: 4 << 20)
        Thread.detachNewThread { [self] in serve() }
    }

    /// What the next family requests are answered with.
    func answer(with reply: [UInt8], mode: Mode) {
        state.withLock { $0 = (reply, mode, []) }
    }

    /// The family replies forwarded from the model since `answer(with:mode:)`.
    var recorded: [[UInt8]] { state.withLock { $0.recorded } }

    /// Broadcasts `bytes` on `group`, then a well-formed `sentinel`.
    func broadcast(_ bytes: [UInt8], sentinel: [UInt8], on group: String) {
        guard let id = groupIDs[group] else { return }
        sending.withLock { _ in
            if !bytes.isEmpty { try? socket.send(bytes, toGroup: id) }
            try? socket.send(sentinel, toGroup: id)
        }
    }

    private func serve() {
        while true {
            guard let datagram = try? socket.receive(), datagram.groups == 0 else { continue }
            for request in NetlinkMessage.leadingMessages(of: datagram.bytes) where request.header.flags.contains(.request) {
                answer(request, from: datagram.senderPort)
            }
        }
    }

    private func answer(_ request: NetlinkMessage, from sender: UInt32) {
        let (reply, mode) = state.withLock { ($0.reply, $0.mode) }
        if request.header.type != familyID || mode.contains(.forwardToModel) {
            let isFamily = request.header.type == familyID
            model.server.answer(request.encoded(), from: sender, credentials: nil, senderIsAdmin: true) { part in
                if isFamily { state.withLock { $0.recorded.append(part) } }
                send(part, to: sender)
            }
            return
        }
        var datagrams = [reply]
        if mode.contains(.matchRequest) || mode.contains(.splitDatagrams) {
            var messages = NetlinkMessage.leadingMessages(of: reply)
            if mode.contains(.matchRequest) {
                for index in messages.indices {
                    messages[index].header.sequence = request.header.sequence
                    messages[index].header.port = sender
                }
            }
            datagrams = mode.contains(.splitDatagrams)
                ? messages.map { $0.encoded() }
                : [messages.flatMap { $0.encoded() }]
        }
        for datagram in datagrams where !datagram.isEmpty { send(datagram, to: sender) }
        // The end the request waits for, whatever came before it.
        var header = request.header
        header.port = sender
        let end = request.header.flags.contains(.dump) ? ExtendedAck.done(for: header) : ExtendedAck.encode(error: nil, for: header)
        send(end.encoded(), to: sender)
    }

    private func send(_ bytes: [UInt8], to port: UInt32) {
        sending.withLock { _ in _ = try? socket.send(bytes, toPort: port) }
    }
}
