import CSystemCalls
import Netlink
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// The kernel model: serves the subdev family on one port id over both
/// `NETLINK_GENERIC` (for privileged senders; notifications go out here)
/// and `NETLINK_USERSOCK` (for any sender), byte for byte the same.
///
/// Requests are handled one at a time on the thread that calls `run()`,
/// as the kernel serialises a family's handlers under `genl_mutex`.
public final class ModelServer {
    /// Largest datagram a dump part fills, as the kernel's dump skbs.
    static let dumpBudget = 32 * 1024

    public let configuration: ModelConfiguration
    /// Multicast group ids by name, as advertised in the family reply.
    public let groupIDs: [String: UInt32]
    /// The ids of `config` and `events`, looked up once: every change sends.
    private let configGroup: UInt32?
    private let eventsGroup: UInt32?
    private let generic: NetlinkSocket
    private let userSock: NetlinkSocket
    private let validator: PolicyValidator
    private let controller: ControllerResponder
    private var handlers: FamilyHandlers
    private let registry: VFIORegistry
    private let poller: Poller
    /// SIGTERM and SIGINT, redirected here before the model says it is ready.
    private let termination: Int32
    /// Dumps waiting for their requesters to read, by requester.
    private var parkedDumps: [ParkedDump.Requester: ParkedDump] = [:]
    /// Multicast datagrams that requests wrote, waiting to leave on the
    /// generic socket: a request that came on another socket, or through
    /// `answer`, cannot send them with its answer.
    private var published = OutgoingBatch()
    /// Whether anyone listens on `config` and `events`, asked for a
    /// datagram of many requests.
    private let listeners = GroupListeners()
    /// Whether `config` and `events` were found without a listener for the
    /// datagram being served: its requests' multicast datagrams for them
    /// are not made. False otherwise, so that what is not a request's
    /// always goes out. Two flags, read on every notification, where a
    /// set would hash the group each time.
    private var unheard = (config: false, events: false)
    /// How many requests a datagram holds before the model asks who
    /// listens. The question costs about what three notifications sent
    /// into nothing do; a single request's notification just goes.
    static let listenersAskedFrom = 4
    /// When to give freed heap back after a mass removal.
    private var heapTrimmer = HeapTrimmer()
    /// The answers to the last datagram served, emptied: its room is kept
    /// for the next, where a new batch grew to hold each (about 1.5 k
    /// instructions per pipelined request in copies of zeroes and bytes).
    private var spareAnswers = OutgoingBatch()

    /// Binds both sockets to the configured port.
    ///
    /// - Throws: `NetlinkError` `EADDRINUSE` when the port is taken.
    public init(configuration: ModelConfiguration, machine: Machine) throws {
        guard Privilege.modelIsAdmin else {
            throw NetlinkError(errno: EPERM, message: "subdevd needs CAP_NET_ADMIN: without it the kernel refuses its generic netlink replies and notifications")
        }
        guard configuration.familyID > ModelConfiguration.reservedFamilyIDs.upperBound else {
            throw NetlinkError(errno: EINVAL, message: "family id \(configuration.familyID) is reserved (nlctrl and the kernel's fixed families use 16...18)")
        }
        self.configuration = configuration
        // A request datagram is as long as its sender's send buffer lets
        // it be, and the kernel reads any whole: room for the longest an
        // unprivileged sender can make, touched only as far as one reaches.
        let room = NetlinkSocket.largestUnforcedDatagram()
        generic = try NetlinkSocket(protocol: .generic, localPort: configuration.port, receiveRoom: room)
        userSock = try NetlinkSocket(protocol: .userSock, localPort: configuration.port, receiveRoom: room)
        for socket in [generic, userSock] {
            try socket.enableCredentials()
            try socket.setBufferSizes(receive: 1 << 20, send: 1 << 20)
            // A requester that does not read must not stall everyone else:
            // the kernel drops a reply to a full socket; the model waits a
            // moment, then drops it too.
            try socket.setSendTimeout(0.25)
        }
        let family = subdevFamilyPolicy
        groupIDs = configuration.groupIDs ?? GroupAllocator.allocate(family.multicastGroups)
        configGroup = groupIDs[SubdevMulticastGroup.config.rawValue]
        eventsGroup = groupIDs[SubdevMulticastGroup.events.rawValue]
        validator = PolicyValidator(family: family)
        controller = ControllerResponder(family: family, id: configuration.familyID, groupIDs: groupIDs)
        poller = try Poller()
        registry = try VFIORegistry(root: configuration.root, parents: machine.parents, poller: poller,
                                    sysfs: configuration.sysfsMirror, deviceNodes: configuration.deviceNodes)
        handlers = FamilyHandlers(machine: machine, registry: registry, familyID: configuration.familyID,
                                  removeInterval: configuration.removeInterval,
                                  aerTimeoutMilliseconds: configuration.aerTimeoutMilliseconds,
                                  hotplugWindowMilliseconds: configuration.hotplugWindowMilliseconds)
        termination = subdev_termination_fd()
        for fd in [generic.fileDescriptor, userSock.fileDescriptor, termination] where fd >= 0 {
            try poller.add(fd)
        }
    }

    deinit {
        if termination >= 0 { close(termination) }
    }

    /// The machine as it stands.
    public var machine: Machine { handlers.machine }

    /// Serves requests, device nodes and owner exits until SIGTERM or
    /// SIGINT, then removes its device nodes and sysfs tree and returns.
    public func run() {
        defer { registry.shutdown() }
        while true {
            let ready = poller.wait(timeout: pollTimeout)
            publish(handlers.tick())
            // Device nodes first: in a kernel, open() and close() take
            // effect before they return, so a connection made before a
            // request was sent must count when the request is handled.
            for fd in ready where !isServerSocket(fd) {
                for event in registry.handle(fd) {
                    if case .request(let vfio, let holder, let connection, let message) = event {
                        serveConnection(message, vfio: vfio, holder: holder, connection: connection)
                    } else {
                        publish(handlers.handle(event))
                    }
                }
            }
            for fd in ready where isServerSocket(fd) {
                switch fd {
                case termination: return
                case generic.fileDescriptor: serveOne(generic)
                default: serveOne(userSock)
                }
            }
            // After the requests that woke the model: the kernel handles a
            // request inside its sender's sendmsg, so one sent before the
            // requester read finds its running dump unfinished.
            resumeParkedDumps()
            if !ready.isEmpty {
                heapTrimmer.served(count: handlers.machine.devices.count, now: Removals.now)
            } else if heapTrimmer.due != nil,
                      heapTrimmer.takeDue(count: handlers.machine.devices.count, now: Removals.now()) {
                _ = subdev_heap_trim()
            }
        }
    }

    /// Whether `fd` is one of the server's own: the signalfd or a netlink socket.
    private func isServerSocket(_ fd: Int32) -> Bool {
        fd == termination || fd == generic.fileDescriptor || fd == userSock.fileDescriptor
    }

    /// Sends notifications on `config` and events on `events`.
    private func publish(_ output: HandlerOutput) {
        guard !output.notifications.isEmpty || !output.events.isEmpty else { return }
        var batch = OutgoingBatch()
        append(output, to: &batch)
        sendEach(batch, on: generic)
    }

    /// Writes the multicast datagrams of a handler's output into `batch`:
    /// notifications on `config`, then events on `events`.
    private func append(_ output: HandlerOutput, to batch: inout OutgoingBatch) {
        if let config = configGroup, !unheard.config {
            let header = MessageHeader(type: configuration.familyID, flags: [])
            for notification in output.notifications {
                try? batch.append(toGroup: config) {
                    GenericMessage.write(header, command: notification.command.rawValue, version: UInt8(subdevFamilyVersion),
                                         attributes: notification.attributes[...], to: &$0)
                }
            }
        }
        if let events = eventsGroup, !unheard.events {
            for event in output.events {
                try? batch.append(toGroup: events) { $0.append(event) }
            }
        }
    }

    /// Receives one datagram on `socket` and answers every request in it.
    func serveOne(_ socket: NetlinkSocket) {
        guard let datagram = try? socket.receive(), datagram.groups == 0 else { return }
        let port = datagram.senderPort
        let requester = ParkedDump.Requester(socket: socket, port: port)
        // What the requests of the datagram send, in the kernel's order
        // (each request's notifications, then its answer), goes out
        // together in one system call, each still a datagram of its own.
        // The kernel answers a datagram's requests inside the sender's
        // sendmsg, so the requester finds them all queued when it next
        // reads; sent one by one, each would wake it (and on one CPU, switch
        // to it) in turn, and each notification would cost a call of its own.
        // Notifications leave on the generic socket, with the answers when
        // the request came on it; when it came on another, in `published`.
        var outgoing = OutgoingBatch()
        swap(&outgoing, &spareAnswers)
        defer {
            outgoing.removeAll()
            swap(&outgoing, &spareAnswers)
        }
        // The kernel lets a datagram reach a user-space port over
        // NETLINK_GENERIC only from a sender with CAP_NET_ADMIN in the
        // network namespace's user namespace: it checked already.
        answerEach(datagram.bytes, from: port, credentials: datagram.credentials, senderIsAdmin: socket === generic,
                   into: &outgoing, notificationsWithAnswers: socket === generic, askingListeners: true,
                   dumpRunning: { parkedDumps[requester] != nil }) { dump, outgoing in
            // Behind what went before it, on the same socket.
            flushPublished()
            sendEach(outgoing, on: socket)
            outgoing.removeAll()
            var parked = ParkedDump(socket: socket, parts: AnyIterator(dump.makeIterator()))
            if !drain(&parked, to: port) { parkedDumps[requester] = parked }
        }
        if datagram.isCut, let cut = NetlinkMessage.headerOfCutMessage(in: datagram.bytes) {
            // Sent with SO_SNDBUFFORCE past what the model reads at once:
            // the requests whole before it were answered, this one is
            // refused, and those after it are lost.
            let error = NetlinkError(errno: EMSGSIZE, message: "the request datagram was \(datagram.length) bytes, more than the \(datagram.bytes.count) the model reads at once (twice net.core.wmem_max): this request and any after it were dropped")
            outgoing.append(toPort: port) { ExtendedAck.write(error: error, for: cut, to: &$0) }
        }
        flushPublished()
        sendEach(outgoing, on: socket)
    }

    /// Sends what requests wrote into `published`.
    private func flushPublished() {
        guard !published.isEmpty else { return }
        sendEach(published, on: generic)
        published.removeAll()
    }

    /// Sends `batch` in order, in as few system calls as it can. A
    /// requester that went away or stopped reading loses its answers (from
    /// the first that did not fit), as with the kernel; the others, and the
    /// groups, still get theirs.
    private func sendEach(_ batch: OutgoingBatch, on socket: NetlinkSocket) {
        var batch = batch, next = 0
        while next < batch.count {
            next += (try? socket.send(batch, from: next)) ?? 0
            guard next < batch.count else { return }
            let failedPort = batch.ports[next], failedGroups = batch.groups[next]
            next += 1
            if failedGroups == 0 {
                // One wait for room per requester, not one per answer.
                batch = batch.remaining(from: next) { $1 != 0 || $0 != failedPort }
                next = 0
            }
        }
    }

    /// What is left of the dump to one requester whose receive buffer was
    /// full. The kernel makes a dump's next part only when the requester
    /// has read enough to leave room for it, so a slow reader loses
    /// nothing and stalls no one; the model keeps the rest and goes on as
    /// the requester reads. Until it is all sent, the requester's socket
    /// has a dump running, and another dump it asks for is refused with
    /// `EBUSY`, as `netlink_dump_start` refuses it.
    struct ParkedDump {
        /// A requester's socket: its port on one of the model's protocols
        /// (the same port id on the other is another socket).
        struct Requester: Hashable {
            let protocolSocket: ObjectIdentifier
            let port: UInt32

            init(socket: NetlinkSocket, port: UInt32) {
                protocolSocket = ObjectIdentifier(socket)
                self.port = port
            }
        }

        let socket: NetlinkSocket
        /// The part that did not fit, first out when there is room.
        var head: [UInt8]?
        var parts: AnyIterator<[UInt8]>
    }

    /// Sends what `dump` has left while `port` has room: `true` once all
    /// is out, or the requester is gone (its dump goes with its socket).
    private func drain(_ dump: inout ParkedDump, to port: UInt32) -> Bool {
        while true {
            guard let part = dump.head ?? dump.parts.next() else { return true }
            do {
                guard try dump.socket.sendIfRoom(part, toPort: port) else {
                    dump.head = part
                    return false
                }
                dump.head = nil
            } catch {
                return true
            }
        }
    }

    /// Goes on with the dumps that wait for their requesters to read.
    private func resumeParkedDumps() {
        for requester in Array(parkedDumps.keys) {
            guard var dump = parkedDumps[requester] else { continue }
            parkedDumps[requester] = drain(&dump, to: requester.port) ? nil : dump
        }
    }

    /// How long the loop may sleep: until the next timer, a moment while
    /// dumps wait for their requesters (a user-space model cannot be told
    /// when another process reads), or until a heap trim is due.
    private var pollTimeout: Int32 {
        var timeout = handlers.nextTick
        if !parkedDumps.isEmpty { timeout = timeout < 0 ? 1 : min(timeout, 1) }
        if heapTrimmer.due != nil {
            let trim = heapTrimmer.timeout(now: Removals.now())
            timeout = timeout < 0 ? trim : min(timeout, trim)
        }
        return timeout
    }

    /// Answers every request in `datagram` as if it came from
    /// `senderPort`: `reply` gets each datagram of the answers, in order;
    /// notifications go to their groups. What `serveOne` does after
    /// receiving, and what a fuzzer drives without a socket in between.
    /// Messages from the first whose length is wrong on are dropped, as
    /// the kernel drops them.
    public func answer(_ datagram: [UInt8], from senderPort: UInt32, credentials: Credentials?,
                       senderIsAdmin: Bool, reply: ([UInt8]) -> Void) {
        var answers = OutgoingBatch()
        func replyAll(_ answers: inout OutgoingBatch) {
            flushPublished()
            for datagram in answers.datagrams { reply(datagram.bytes) }
            answers.removeAll()
        }
        answerEach(datagram, from: senderPort, credentials: credentials, senderIsAdmin: senderIsAdmin,
                   into: &answers, notificationsWithAnswers: false) { dump, answers in
            replyAll(&answers)
            for part in dump { reply(part) }
        }
        replyAll(&answers)
    }

    /// As `answer`, but writes the answers into `answers`, for the caller
    /// to send, each request's multicast datagrams before its answer (with
    /// `notificationsWithAnswers`, on the same socket) or in `published`;
    /// `dump` gets a dump's datagrams, made as they are taken, with what
    /// went before it still in `answers`.
    ///
    /// - Parameters:
    ///   - askingListeners: for a datagram of at least `listenersAskedFrom`
    ///     requests, ask who listens on the groups first, and make no
    ///     multicast datagrams for a group nobody does, as a kernel family
    ///     checks `genl_has_listeners()`.
    ///   - dumpRunning: whether the requester's socket still has a dump
    ///     being sent, asked before each dump request; by default never,
    ///     for a caller that takes every dump whole.
    func answerEach(_ datagram: [UInt8], from senderPort: UInt32, credentials: Credentials?, senderIsAdmin: Bool,
                    into answers: inout OutgoingBatch, notificationsWithAnswers: Bool, askingListeners: Bool = false,
                    dumpRunning: () -> Bool = { false },
                    dump: (_ parts: AnySequence<[UInt8]>, _ answers: inout OutgoingBatch) -> Void) {
        let messages = NetlinkMessage.leadingMessages(of: datagram)
        if askingListeners, messages.count >= Self.listenersAskedFrom {
            if let heard = listeners.heard(among: [configGroup, eventsGroup].compactMap { $0 }) {
                unheard = (configGroup.map { !heard.contains($0) } ?? false, eventsGroup.map { !heard.contains($0) } ?? false)
            }
        }
        defer { unheard = (false, false) }
        for message in messages {
            // As netlink_rcv_skb: only requests reach the family, control
            // types (below NLMSG_MIN_TYPE) are skipped, and either is
            // acknowledged when it asks.
            guard message.header.flags.contains(.request), message.header.type >= MessageType.minType else {
                if message.header.flags.contains(.ack) {
                    var header = message.header
                    header.port = senderPort
                    answers.append(toPort: senderPort) { ExtendedAck.write(error: nil, for: header, to: &$0) }
                }
                continue
            }
            let refusingDumps = message.header.flags.contains(.dump) && dumpRunning()
            if let parts = respond(to: message, from: senderPort, credentials: credentials, senderIsAdmin: senderIsAdmin,
                                   into: &answers, notificationsWithAnswers: notificationsWithAnswers,
                                   refusingDumps: refusingDumps) {
                dump(parts, &answers)
            }
        }
    }

    /// Answers a message a holder sent on its device connection: only
    /// aer-answer is served there, validated as on the socket; the ack or
    /// error goes back on the connection.
    private func serveConnection(_ message: NetlinkMessage, vfio: UInt32, holder: Holder, connection: Int32) {
        guard message.header.flags.contains(.request) else { return }
        var failure: NetlinkError?
        do {
            let request = try GenericMessage(message)
            guard message.header.type == configuration.familyID else {
                throw NetlinkError(errno: ENOENT, message: "a device connection speaks family subdev (id \(configuration.familyID)), not \(message.header.type)")
            }
            guard request.command == SubdevCommand.aerAnswer.rawValue,
                  let operation = validator.operation(request.command), let set = operation.rules else {
                throw NetlinkError(errno: EOPNOTSUPP, message: "a device connection takes aer-answer only; use the netlink socket for command \(request.command)")
            }
            let attributes = try validator.validate(request, operation: operation, dump: false)
            try handlers.answerOnConnection(vfio: vfio, holder: holder,
                                            Request(operation: operation, attributes: attributes, set: set, credentials: nil))
        } catch let error as NetlinkError {
            failure = error
        } catch {
            failure = NetlinkError(errno: EINVAL, message: "\(error)")
        }
        if failure != nil || message.header.flags.contains(.ack) {
            registry.reply(ExtendedAck.encoded(error: failure, for: message.header), connection: connection)
        }
        publish(handlers.tick())
    }

    /// One request's answer, apart: for tests.
    struct Answer {
        /// The datagrams made already: a reply and its ack, or an error.
        var made: [[UInt8]] = []
        /// For a dump that went ahead (an error is not one): its
        /// datagrams, made as they are sent.
        var dumpParts: AnySequence<[UInt8]>?
        var notifications: [OutgoingDatagram] = []

        /// Every datagram of the answer, in order.
        var datagrams: AnySequence<[UInt8]> { dumpParts ?? AnySequence(made) }
    }

    /// Everything the model sends in answer to one request from
    /// `senderPort`, as `respond(to:from:credentials:senderIsAdmin:into:notificationsWithAnswers:)`
    /// writes it, taken apart.
    func respond(to message: NetlinkMessage, from senderPort: UInt32, credentials: Credentials?,
                 senderIsAdmin: Bool = false) -> Answer {
        var batch = OutgoingBatch()
        var answer = Answer()
        answer.dumpParts = respond(to: message, from: senderPort, credentials: credentials, senderIsAdmin: senderIsAdmin,
                                   into: &batch, notificationsWithAnswers: true)
        for datagram in batch.datagrams {
            if datagram.groups != 0 { answer.notifications.append(datagram) } else { answer.made.append(datagram.bytes) }
        }
        return answer
    }

    /// Writes everything the model sends in answer to one request from
    /// `senderPort` into `answers`: the multicast datagrams it caused,
    /// which the kernel sends before its answer (into `published` instead
    /// unless `notificationsWithAnswers`), then its reply, ack or error.
    /// A dump that goes ahead (an error is not one) returns its
    /// datagrams, made as they are taken.
    ///
    /// Replies carry the sender's real port in `nlmsg_pid`, as the kernel
    /// takes it from the socket rather than from the request header.
    ///
    /// - Parameters:
    ///   - senderIsAdmin: the transport already proved the sender holds
    ///     `CAP_NET_ADMIN`; otherwise its credentials are looked up.
    ///   - refusingDumps: the sender's socket has a dump running, so a
    ///     dump request that gets as far as starting is refused.
    func respond(to message: NetlinkMessage, from senderPort: UInt32, credentials: Credentials?, senderIsAdmin: Bool,
                 into answers: inout OutgoingBatch, notificationsWithAnswers: Bool,
                 refusingDumps: Bool = false) -> AnySequence<[UInt8]>? {
        var header = message.header
        header.port = senderPort
        let dump = header.flags.contains(.dump)
        do {
            let request = try GenericMessage(message)
            let replies: SmallList<[UInt8]>
            var stream: DumpStream?
            var dumpError: NetlinkError?
            var command = request.command
            let family = header.type
            switch header.type {
            case Controller.familyID:
                if dump, refusingDumps { throw Self.dumpRunningError }
                replies = SmallList(try controller.handle(request, dump: dump))
                command = Controller.Command.newFamily
            case configuration.familyID:
                let output = try handleFamilyRequest(request, credentials: credentials, senderIsAdmin: senderIsAdmin, dump: dump,
                                                     refusingDumps: refusingDumps)
                replies = output.replies
                stream = output.stream
                dumpError = output.dumpError
                // Nothing below throws: what a request caused goes out
                // before its answer, as the kernel sends it.
                if notificationsWithAnswers { append(output, to: &answers) } else { append(output, to: &published) }
            default:
                throw NetlinkError(errno: ENOENT, message: "no generic netlink family with id \(header.type) here; subdev is \(configuration.familyID)")
            }
            let version = header.type == Controller.familyID ? Controller.version : UInt8(subdevFamilyVersion)
            if dump {
                // Replies made already, then the stream's, then NLMSG_DONE.
                let messages = DumpMessages(made: Array(replies), stream: stream?.source,
                                            done: ExtendedAck.done(for: header, error: dumpError).encoded(),
                                            header: MessageHeader(type: family, flags: [.multi], sequence: header.sequence, port: header.port),
                                            command: command, version: version)
                return AnySequence(PackedDatagrams(budget: Self.dumpBudget, source: messages))
            }
            let replyHeader = MessageHeader(type: family, flags: [], sequence: header.sequence, port: header.port)
            for reply in replies {
                answers.append(toPort: senderPort) {
                    GenericMessage.write(replyHeader, command: command, version: version, attributes: reply[...], to: &$0)
                }
            }
            if header.flags.contains(.ack) {
                answers.append(toPort: senderPort) { ExtendedAck.write(error: nil, for: header, to: &$0) }
            }
        } catch let error as NetlinkError {
            answers.append(toPort: senderPort) { ExtendedAck.write(error: error, for: header, to: &$0) }
        } catch {
            answers.append(toPort: senderPort) {
                ExtendedAck.write(error: NetlinkError(errno: EINVAL, message: "\(error)"), for: header, to: &$0)
            }
        }
        return nil
    }

    /// What a dump request gets while its socket has a dump running.
    static let dumpRunningError = NetlinkError(errno: EBUSY, message: "this socket has a dump running: read it to its NLMSG_DONE before asking for another, or use another socket")

    private func handleFamilyRequest(_ request: GenericMessage, credentials: Credentials?, senderIsAdmin: Bool,
                                     dump: Bool, refusingDumps: Bool) throws -> HandlerOutput {
        guard let operation = validator.operation(request.command),
              let command = SubdevCommand(rawValue: request.command) else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "unknown subdev command \(request.command)")
        }
        // Read in place from the shared operation, not copied out.
        if operation.isNotification {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.policy.name) is a notification, not a request")
        }
        if !operation.takes(dump: dump) {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.policy.name) does not support \(dump ? "dump" : "do")")
        }
        if operation.policy.adminPerm, !senderIsAdmin, !Privilege.isAdmin(credentials) {
            throw NetlinkError(errno: EPERM, message: "\(operation.policy.name) needs CAP_NET_ADMIN")
        }
        guard let set = operation.rules else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "\(operation.policy.name) has no attribute set")
        }
        // As genl: the command and the sender's permission are checked
        // before netlink_dump_start, the attributes after it, in genl_start.
        if dump, refusingDumps { throw Self.dumpRunningError }
        let attributes = try validator.validate(request, operation: operation, dump: dump)
        let validated = Request(operation: operation, attributes: attributes, set: set, credentials: credentials)
        guard dump else { return try handlers.handle(command, validated, dump: false) }
        do {
            return try handlers.handle(command, validated, dump: true)
        } catch let error as NetlinkError {
            return HandlerOutput(dumpError: error)
        }
    }

    /// Packs dump messages into datagrams of at most `dumpBudget` bytes each,
    /// as the kernel fills one skb per `recvmsg`.
    static func pack(_ messages: [NetlinkMessage]) -> [[UInt8]] {
        var remaining = messages.makeIterator()
        return Array(PackedDatagrams(budget: dumpBudget) { buffer in
            guard let message = remaining.next() else { return false }
            buffer.append(message.encoded())
            return true
        })
    }
}
