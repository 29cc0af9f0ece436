import Dispatch
import Foundation
import Netlink
import SubdevUAPI
import Synchronization

/// How the client reaches the family.
public enum Transport: String, Sendable, CaseIterable {
    /// `NETLINK_GENERIC` when the process may send there (it holds
    /// `CAP_NET_ADMIN`), else `NETLINK_USERSOCK`.
    case automatic
    /// `NETLINK_GENERIC`: what a real kernel family needs.
    case generic
    /// `NETLINK_USERSOCK`: reaches the model from an unprivileged process.
    case userSock = "usersock"
}

/// A typed, async client of the subdev family, over real netlink sockets.
///
/// Thread-safe; requests on one client are serialised (one netlink request
/// in flight at a time). The socket calls block: by default on the calling
/// task's thread, which a local peer's microsecond replies make cheaper
/// than a handover (`RequestThread`). Replies time out after 5 seconds by
/// default.
///
/// The batch calls (`createDevices`, `deleteDevices`) run with the thread
/// that makes them under `SCHED_BATCH`, when it was under `SCHED_OTHER`,
/// and put it back when they return: woken by each of many answers, the
/// thread would preempt the model still sending the rest.
///
/// The async methods are `nonisolated(nonsending)`: they run where they
/// are called. A caller on the main actor, or on an actor of its own,
/// makes its requests there, where a plain `nonisolated async` method
/// would leave the actor for the global pool and come back, two thread
/// switches a request (about 12 µs of a `parent-get`'s 18 µs on the
/// benchmark machine).
public final class SubdevClient: Sendable {
    /// The environment variable that names the model's port.
    public static let portEnvironmentVariable = "SUBDEV_NL_PORT"

    /// The family as nlctrl described it: id, version, operations, groups.
    public let family: FamilyDescription
    /// The peer port: the model's, or 0 for a kernel.
    public let port: UInt32
    private let connection: NetlinkConnection
    private let queue: DispatchQueue
    private let requestThread: RequestThread
    /// What the subdevices `createDevice` and `device(_:)` return share
    /// with the last one they decoded: a VMM that creates subdevices of a
    /// parent one at a time gets each after the first two decoded from a
    /// template, as a dump does (about 11 k instructions to 2 k). Holds the
    /// last subdevice's shared fields and bytes, a few hundred bytes.
    private let lastSingleDevice = Mutex(DeviceMemo(remembering: true))
    /// What `createDevices` decodes each parent's next subdevice from,
    /// kept from batch to batch (see `ParentMemos`).
    private let batchMemos = Mutex(ParentMemos())

    /// The port to use when none is given: `$SUBDEV_NL_PORT` when set,
    /// else `SUBDEV_MODEL_PORT` (the spec's `model-port`).
    ///
    /// - Throws: `NetlinkError` `EINVAL` when `$SUBDEV_NL_PORT` is not a port id.
    public static func defaultPort() throws -> UInt32 {
        guard let text = ProcessInfo.processInfo.environment[portEnvironmentVariable] else {
            return UInt32(SubdevConstant.modelPort)
        }
        guard let port = parsePort(text) else {
            throw NetlinkError(errno: EINVAL, message: "\(portEnvironmentVariable)=\(text) is not a netlink port id: give 0 to 4294967295, decimal or 0x hex")
        }
        return port
    }

    /// Parses a port id: decimal or `0x` hexadecimal, 0...UInt32.max (0 is the kernel).
    public static func parsePort(_ text: String) -> UInt32? { PortID.parse(text) }

    /// Connects and resolves the `subdev` family through nlctrl at `port`.
    ///
    /// - Parameters:
    ///   - timeout: seconds to wait for each reply datagram.
    ///   - requestThread: where the blocking socket calls run; `caller` by default.
    /// - Throws: `NetlinkError`: `ECONNREFUSED` when nothing listens at the
    ///   port, `ENOENT` when no subdev family is served there.
    public static nonisolated(nonsending) func connect(port: UInt32? = nil, transport: Transport = .automatic, timeout: Double = 5,
                               requestThread: RequestThread = .caller) async throws -> SubdevClient {
        let port = try port ?? defaultPort()
        let queue = DispatchQueue(label: "subdev.client")
        return try await requestThread.run(on: queue) {
            func open(_ netlinkProtocol: NetlinkProtocol) throws -> SubdevClient {
                do {
                    return try SubdevClient(connection: NetlinkConnection(protocol: netlinkProtocol, peerPort: port, timeout: timeout),
                                            queue: queue, requestThread: requestThread)
                } catch let error as NetlinkError {
                    throw Self.explain(error, port: port, netlinkProtocol: netlinkProtocol)
                }
            }
            switch transport {
            case .generic: return try open(.generic)
            case .userSock: return try open(.userSock)
            case .automatic:
                do {
                    return try open(.generic)
                } catch let error as NetlinkError where error.errno == EPERM && port != 0 {
                    // Without CAP_NET_ADMIN the kernel refuses generic
                    // netlink sends to a user-space port; usersock takes them.
                    return try open(.userSock)
                }
            }
        }
    }

    /// Says what a failure to reach the family means, in the caller's terms.
    static func explain(_ error: NetlinkError, port: UInt32, netlinkProtocol: NetlinkProtocol) -> NetlinkError {
        var explained = error
        switch error.errno {
        case ECONNREFUSED:
            explained.message = "nothing answers at netlink port \(port): is subdevd running?"
        case ENOENT where error.message == nil || port == 0:
            explained.message = "no subdev family is served at netlink port \(port)\(port == 0 ? " (the kernel)" : "")"
        case EPERM where netlinkProtocol == .generic:
            explained.message = "sending to netlink port \(port) over generic netlink needs CAP_NET_ADMIN; use the usersock transport"
        default:
            break
        }
        return explained
    }

    private init(connection: NetlinkConnection, queue: DispatchQueue, requestThread: RequestThread) throws {
        self.connection = connection
        self.queue = queue
        self.requestThread = requestThread
        self.port = connection.peerPort
        self.family = try connection.resolveFamily(subdevFamilyName)
    }

    /// The protocol requests travel on.
    public var netlinkProtocol: NetlinkProtocol { connection.netlinkProtocol }

    // MARK: parents and types

    /// Every parent (`parent-get` dump).
    public nonisolated(nonsending) func parents() async throws -> [ParentInfo] {
        try await dump(.parentGet, as: ObjectDecoding.parent)
    }

    /// One parent (`parent-get`); `ENODEV` when there is none.
    public nonisolated(nonsending) func parent(_ handle: ParentHandle) async throws -> ParentInfo {
        try ObjectDecoding.parent(try await single(.parentGet) { request in
            request.put(SubdevParentAttr.busName, handle.bus)
            request.put(SubdevParentAttr.devName, handle.name)
        })
    }

    /// The types of one parent, or of all (`type-get` dump).
    public nonisolated(nonsending) func types(of parent: ParentHandle? = nil) async throws -> [TypeInfo] {
        try await dump(.typeGet, encoding: { request in
            if let parent {
                request.put(SubdevTypeAttr.busName, parent.bus)
                request.put(SubdevTypeAttr.devName, parent.name)
            }
        }, as: ObjectDecoding.type)
    }

    /// One type of a parent (`type-get`), with its schema and what fits now.
    public nonisolated(nonsending) func type(_ name: String, of parent: ParentHandle) async throws -> TypeInfo {
        try ObjectDecoding.type(try await single(.typeGet) { request in
            request.put(SubdevTypeAttr.busName, parent.bus)
            request.put(SubdevTypeAttr.devName, parent.name)
            request.put(SubdevTypeAttr.name, name)
        })
    }

    // MARK: subdevices

    /// The subdevices of one parent, or of all (`dev-get` dump).
    public nonisolated(nonsending) func devices(of parent: ParentHandle? = nil) async throws -> [DeviceInfo] {
        // Alike subdevices come in runs: what one shares with the one
        // before is not decoded again.
        try await dump(.devGet, encoding: { request in
            if let parent {
                request.put(SubdevDevAttr.busName, parent.bus)
                request.put(SubdevDevAttr.devName, parent.name)
            }
        }, state: { DeviceMemo(remembering: true) }) { try ObjectDecoding.device($0, memo: &$1) }
    }

    /// One subdevice (`dev-get`); `ENOENT` when there is none.
    public nonisolated(nonsending) func device(_ handle: DeviceHandle) async throws -> DeviceInfo {
        try await singleDevice(.devGet) { Self.put(handle, into: &$0) }
    }

    /// Creates a subdevice in one step (`dev-new`): its resources are
    /// reserved and its parameters applied, or nothing changes.
    ///
    /// - Parameters:
    ///   - params: values in request order; omitted ones take their defaults.
    ///   - adminState: `up` when `nil`, as the model defaults.
    ///   - node: owner, group and mode of the device node; root's, 0600 when `nil`.
    ///   - owned: binds the subdevice to this process: it is destroyed, and
    ///     its resources return, when the process exits.
    /// - Returns: the new subdevice, with its index and VFIO registration.
    public nonisolated(nonsending) func createDevice(parent: ParentHandle, type: String, name: String? = nil,
                             adminState: SubdevAdminState? = nil, params: [(String, ParamValue)] = [],
                             node: NodeAccessInfo? = nil, owned: Bool = false) async throws -> DeviceInfo {
        let device = NewDevice(parent: parent, type: type, name: name, adminState: adminState, params: params, node: node, owned: owned)
        return try await singleDevice(.devNew) { Self.put(device, into: &$0) }
    }

    /// Creates many subdevices (`dev-new` each) with up to `window` requests
    /// in flight, and returns each one's outcome in request order. Each is
    /// all or nothing on its own; one that fails leaves the others be.
    ///
    /// - Throws: `NetlinkError` only when the model stops answering.
    public nonisolated(nonsending) func createDevices(_ devices: [NewDevice], window: Int = 64) async throws -> [Result<DeviceInfo, NetlinkError>] {
        try await pipeline(.devNew, count: devices.count, window: window, encoding: { Self.put(devices[$0], into: &$1) }) {
            // A batch is mostly alike subdevices, as a dump is, but may take
            // its parents in turn: a memo per parent finds each one's last
            // subdevice to decode the next like it, where one memo for all
            // would miss on every reply of a round-robin batch. A client's
            // requests are serialised, so the lock is never contended.
            { position, reply in
                try self.batchMemos.withLock { try $0.device(reply, of: devices[position].parent) }
            }
        }
    }

    /// Deletes many subdevices (`dev-del` each, soft unless `force`) with up
    /// to `window` requests in flight; each outcome in request order.
    ///
    /// - Throws: `NetlinkError` only when the model stops answering.
    public nonisolated(nonsending) func deleteDevices(_ handles: [DeviceHandle], force: Bool = false, window: Int = 64) async throws -> [Result<Void, NetlinkError>] {
        try await pipeline(.devDel, count: handles.count, window: window, answeredWithoutReply: (), encoding: { position, request in
            Self.put(handles[position], into: &request)
            if force { request.putFlag(SubdevDevAttr.force) }
        }) {
            { _, _ in throw ProtocolError("dev-del answered with a reply message") }
        }
    }

    static func put(_ device: NewDevice, into request: inout AttributeEncoder) {
        request.put(SubdevDevAttr.busName, device.parent.bus)
        request.put(SubdevDevAttr.devName, device.parent.name)
        request.put(SubdevDevAttr.type, device.type)
        if let name = device.name { request.put(SubdevDevAttr.name, name) }
        if let adminState = device.adminState { request.put(SubdevDevAttr.adminState, UInt8(adminState.rawValue)) }
        if let node = device.node {
            request.put(SubdevDevAttr.nodeUid, node.uid)
            request.put(SubdevDevAttr.nodeGid, node.gid)
            request.put(SubdevDevAttr.nodeMode, node.mode)
        }
        if device.owned { request.putFlag(SubdevDevAttr.owned) }
        Self.put(device.params, into: &request)
    }

    /// Changes a subdevice's admin state and mutable parameters (`dev-set`),
    /// all or nothing.
    public nonisolated(nonsending) func setDevice(_ handle: DeviceHandle, adminState: SubdevAdminState? = nil,
                          params: [(String, ParamValue)] = []) async throws {
        try await execute(.devSet) { request in
            Self.put(handle, into: &request)
            if let adminState { request.put(SubdevDevAttr.adminState, UInt8(adminState.rawValue)) }
            Self.put(params, into: &request)
        }
    }

    /// Deletes a subdevice and returns its resources (`dev-del`).
    ///
    /// Soft by default: an unheld subdevice goes at once; a held one is
    /// `removing` when this returns, and goes when its holders let go, which
    /// `dev-del-ntf` on `config` announces.
    ///
    /// - Parameters:
    ///   - force: remove at once, revoking any holders.
    ///   - deadlineMilliseconds: for a held subdevice, turn the removal hard
    ///     after this long.
    public nonisolated(nonsending) func deleteDevice(_ handle: DeviceHandle, force: Bool = false, deadlineMilliseconds: UInt32? = nil) async throws {
        try await execute(.devDel) { request in
            Self.put(handle, into: &request)
            if force { request.putFlag(SubdevDevAttr.force) }
            if let deadlineMilliseconds { request.put(SubdevDevAttr.deadlineMs, deadlineMilliseconds) }
        }
    }

    /// Whether `source` can migrate to `destination` (`dev-compat`),
    /// judged by the plugin of the destination's parent (or the source's,
    /// when the destination's parent is not on this machine). A
    /// description not yet created is also checked for room.
    ///
    /// - Throws: `ENODEV` when neither side's parent is here; `ENOENT` for
    ///   a live side that does not exist.
    public nonisolated(nonsending) func compatibility(from source: MigrationEndpoint, to destination: MigrationEndpoint) async throws -> CompatibilityVerdict {
        let reply = try await single(.devCompat) { request in
            for (attribute, side) in [(SubdevCompatAttr.source, source), (SubdevCompatAttr.destination, destination)] {
                request.nest(attribute) { nest in
                    switch side {
                    case .live(let handle):
                        Self.put(handle, into: &nest)
                    case .described(let description):
                        nest.put(SubdevDevAttr.busName, description.parent.bus)
                        nest.put(SubdevDevAttr.devName, description.parent.name)
                        nest.put(SubdevDevAttr.type, description.type)
                        Self.put(description.params.sorted { $0.key < $1.key }, into: &nest)
                        if let compat = description.migrationCompat { nest.put(SubdevDevAttr.migrationCompat, compat) }
                    }
                }
            }
        }
        return CompatibilityVerdict(compatible: try reply.integer(SubdevCompatAttr.compatible, as: UInt8.self) == 1,
                                    reasons: try reply.all(SubdevCompatAttr.reason).map { try $0.string() })
    }

    // MARK: notifications

    /// Subscribes to the `config` group: one notification per created,
    /// changed or deleted subdevice and per parent added or removed.
    ///
    /// Joining a generic netlink group needs no privilege. Only datagrams
    /// from this client's peer port are accepted. Reading starts with
    /// iteration. At most `bufferLimit` notifications wait unread; when
    /// some were lost, the subscriber gets `.resynchronised` with the state
    /// as a fresh dump finds it, and the subscription goes on.
    public func configNotifications(receiveBuffer: Int32? = nil, bufferLimit: Int = 4096) throws -> ConfigNotifications {
        ConfigNotifications(subscription: try subscribe(.config, receiveBuffer: receiveBuffer, bufferLimit: bufferLimit),
                            familyID: family.id, decode: ConfigNotification.decode,
                            resynchronise: { [self] missed in .resynchronised(try await snapshot(missed: missed)) },
                            sequence: { _ in nil })
    }

    /// Subscribes to the `events` group: remove requests, revocations, AER
    /// and hotplug events. Needs no privilege. When events were lost (the
    /// socket overran, or sequence numbers skipped), the subscriber gets
    /// `.resynchronised` with the state as a fresh dump finds it, and the
    /// subscription goes on.
    public func events(receiveBuffer: Int32? = nil, bufferLimit: Int = 4096) throws -> SubdevEvents {
        SubdevEvents(subscription: try subscribe(.events, receiveBuffer: receiveBuffer, bufferLimit: bufferLimit),
                     familyID: family.id, decode: SubdevEvent.decode,
                     resynchronise: { [self] missed in .resynchronised(try await snapshot(missed: missed)) },
                     sequence: { $0.sequence })
    }

    private func subscribe(_ group: SubdevMulticastGroup, receiveBuffer: Int32?, bufferLimit: Int) throws -> MulticastSubscription {
        try MulticastSubscription(family: family, groups: [group.rawValue], senderPort: port == 0 ? nil : port,
                                  receiveBuffer: receiveBuffer, bufferLimit: bufferLimit, startReading: false)
    }

    /// Parents and subdevices as they are now.
    public nonisolated(nonsending) func snapshot(missed: ClosedRange<UInt64>? = nil) async throws -> Resynchronisation {
        Resynchronisation(parents: try await parents(), devices: try await devices(), missedSequences: missed)
    }

    // MARK: faults and answers

    /// Answers an AER error-detected event over netlink: the calling
    /// process must hold the subdevice. `sequence` is the event's.
    public nonisolated(nonsending) func answerAER(_ handle: DeviceHandle, sequence: UInt64, result: SubdevAerResult) async throws {
        try await execute(.aerAnswer) { request in
            Self.put(handle, bus: SubdevEventAttr.busName, parent: SubdevEventAttr.devName, index: SubdevEventAttr.index,
                     name: SubdevEventAttr.name, into: &request)
            request.put(SubdevEventAttr.seq, sequence)
            request.put(SubdevEventAttr.aerResult, UInt8(result.rawValue))
        }
    }

    /// Injects a PCI Express error (model only; needs CAP_NET_ADMIN): on
    /// `device`, or on every subdevice of `parent` when `device` is `nil`.
    /// The channel state defaults to what the severity implies; the
    /// timeout to the model's.
    public nonisolated(nonsending) func injectAER(parent: ParentHandle, device: DeviceHandle? = nil, severity: SubdevAerSeverity,
                          channelState: SubdevChannelState? = nil, timeoutMilliseconds: UInt32? = nil) async throws {
        try await execute(.injectAer) { request in
            request.put(SubdevEventAttr.busName, parent.bus)
            request.put(SubdevEventAttr.devName, parent.name)
            switch device {
            case .index(_, let index)?: request.put(SubdevEventAttr.index, index)
            case .name(let name)?: request.put(SubdevEventAttr.name, name)
            case nil: break
            }
            request.put(SubdevEventAttr.severity, UInt8(severity.rawValue))
            if let channelState { request.put(SubdevEventAttr.channelState, UInt8(channelState.rawValue)) }
            if let timeoutMilliseconds { request.put(SubdevEventAttr.timeoutMs, timeoutMilliseconds) }
        }
    }

    /// Presses the attention button of `parent`'s slot (model only; needs
    /// CAP_NET_ADMIN): `action` remove or add, announced and cancellable
    /// for `windowMilliseconds` (the model's default when `nil`);
    /// surprise-remove pulls the card at once. `deadlineMilliseconds`
    /// bounds each subdevice's soft removal.
    public nonisolated(nonsending) func injectHotplug(parent: ParentHandle, action: SubdevHotplugAction, windowMilliseconds: UInt32? = nil,
                              deadlineMilliseconds: UInt32? = nil) async throws {
        try await execute(.injectHotplug) { request in
            request.put(SubdevEventAttr.busName, parent.bus)
            request.put(SubdevEventAttr.devName, parent.name)
            request.put(SubdevEventAttr.hotplugAction, UInt8(action.rawValue))
            if let windowMilliseconds { request.put(SubdevEventAttr.windowMs, windowMilliseconds) }
            if let deadlineMilliseconds { request.put(SubdevEventAttr.deadlineMs, deadlineMilliseconds) }
        }
    }

    /// Presses the attention button again: cancels the hotplug request of
    /// `parent` that waits in its window.
    public nonisolated(nonsending) func cancelHotplug(parent: ParentHandle) async throws {
        try await execute(.injectHotplug) { request in
            request.put(SubdevEventAttr.busName, parent.bus)
            request.put(SubdevEventAttr.devName, parent.name)
            request.putFlag(SubdevEventAttr.cancel)
        }
    }

    // MARK: plumbing

    private static func put(_ handle: DeviceHandle, into request: inout AttributeEncoder) {
        put(handle, bus: SubdevDevAttr.busName, parent: SubdevDevAttr.devName, index: SubdevDevAttr.index,
            name: SubdevDevAttr.name, into: &request)
    }

    /// A subdevice handle in the attributes of a set: parent and index, or name.
    private static func put<A: RawRepresentable>(_ handle: DeviceHandle, bus: A, parent parentName: A, index indexAttribute: A,
                                                 name nameAttribute: A, into request: inout AttributeEncoder) where A.RawValue == UInt16 {
        switch handle {
        case .index(let parent, let index):
            request.put(bus, parent.bus)
            request.put(parentName, parent.name)
            request.put(indexAttribute, index)
        case .name(let name):
            request.put(nameAttribute, name)
        }
    }

    private static func put(_ params: [(String, ParamValue)], into request: inout AttributeEncoder) {
        for (name, value) in params {
            request.nest(SubdevDevAttr.param) { nest in
                nest.put(SubdevParamAttr.name, name)
                switch value {
                case .int(let number): nest.put(SubdevParamAttr.valueInt, number)
                case .string(let text): nest.put(SubdevParamAttr.valueStr, text)
                }
            }
        }
    }

    /// What a request's closure does: puts the request's attributes.
    private typealias Encode = (inout AttributeEncoder) -> Void

    /// A request of `command` whose attributes `encode` puts, made in one buffer.
    private func message(_ command: SubdevCommand, _ encode: Encode) -> NetlinkMessage {
        GenericMessage.request(family: family.id, command: command.rawValue, version: UInt8(family.version), encode)
    }

    /// The reply messages of a request of `command`, before the ACK when
    /// one is asked.
    @discardableResult
    private nonisolated(nonsending) func execute(_ command: SubdevCommand, _ encode: Encode) async throws -> [NetlinkMessage] {
        let request = message(command, encode)
        let connection = self.connection
        let end = Self.answerEnd(of: command)
        return try await requestThread.run(on: queue) { try connection.execute(request, endingWith: end) }
    }

    private nonisolated(nonsending) func singleReply(_ command: SubdevCommand, _ encode: Encode) async throws -> NetlinkMessage {
        guard let reply = try await execute(command, encode).first else {
            throw ProtocolError("\(command.name) answered without a reply message")
        }
        return reply
    }

    private nonisolated(nonsending) func single(_ command: SubdevCommand, _ encode: Encode) async throws -> AttributeDecoder {
        try GenericMessage.attributes(of: try await singleReply(command, encode))
    }

    /// The one subdevice `command` answers with, decoded like the last one
    /// a single request decoded when they are alike (`lastSingleDevice`).
    private nonisolated(nonsending) func singleDevice(_ command: SubdevCommand, _ encode: Encode) async throws -> DeviceInfo {
        let reply = try await singleReply(command, encode)
        return try lastSingleDevice.withLock { memo in try ObjectDecoding.device(reply, memo: &memo) }
    }

    /// A dump, each message decoded as it arrives: the peer goes on
    /// encoding the next part while this one is decoded.
    private nonisolated(nonsending) func dump<T: Sendable>(_ command: SubdevCommand, encoding encode: Encode = { _ in },
                                                           as decode: @escaping @Sendable (AttributeDecoder) throws -> T) async throws -> [T] {
        try await dump(command, encoding: encode, state: {}) { message, _ in try decode(try GenericMessage.attributes(of: message)) }
    }

    /// A dump of `command`, each message decoded as it is read; `decode`
    /// keeps what it needs from one message to the next in a `State`,
    /// made afresh for each dump.
    private nonisolated(nonsending) func dump<T: Sendable, State>(_ command: SubdevCommand, encoding encode: Encode = { _ in },
                                                                  state makeState: @escaping @Sendable () -> State,
                                                                  as decode: @escaping @Sendable (NetlinkMessage, inout State) throws -> T) async throws -> [T] {
        let request = message(command, encode)
        let connection = self.connection
        return try await requestThread.run(on: queue) {
            var values: [T] = []
            var state = makeState()
            try connection.dump(request) { values.append(try decode($0, &state)) }
            return values
        }
    }

    /// `count` requests of `command`, pipelined, each outcome in request
    /// order. `encode` puts request `position`'s attributes straight into
    /// the datagram it goes out in; each reply is decoded as it arrives, by
    /// a decoder `makeDecoder` makes for this batch (so it may keep a memo
    /// from one reply to the next), and dropped: a batch keeps neither its
    /// requests nor its replies, only the values.
    ///
    /// - Parameter answeredWithoutReply: the outcome of a request answered
    ///   without a reply message: nil for an op that always replies, for
    ///   which that is a protocol error.
    private nonisolated(nonsending) func pipeline<T: Sendable>(
        _ command: SubdevCommand, count: Int, window: Int, answeredWithoutReply: T? = nil,
        encoding encode: @escaping @Sendable (_ position: Int, _ request: inout AttributeEncoder) -> Void,
        decoding makeDecoder: @escaping @Sendable () -> (_ position: Int, _ reply: NetlinkMessage) throws -> T
    ) async throws -> [Result<T, NetlinkError>] {
        let connection = self.connection
        let end = Self.answerEnd(of: command)
        let family = self.family.id, version = UInt8(self.family.version)
        return try await requestThread.run(on: queue) {
            let decode = makeDecoder()
            var outcomes = [Result<T, NetlinkError>?](repeating: nil, count: count)
            try connection.pipeline(
                count: count, window: window, endingWith: end,
                writing: { position, batch in
                    GenericMessage.writeRequest(family: family, command: command.rawValue, version: version, to: &batch) { encode(position, &$0) }
                },
                reply: { position, message in
                    // The first reply is the answer; an op of this client replies once.
                    guard outcomes[position] == nil else { return }
                    do {
                        outcomes[position] = .success(try decode(position, message))
                    } catch let error as NetlinkError {
                        outcomes[position] = .failure(error)
                    } catch {
                        outcomes[position] = .failure(NetlinkError(errno: EPROTO, message: "\(error)"))
                    }
                },
                answered: { position, error in
                    if let error {
                        outcomes[position] = .failure(error)
                    } else if outcomes[position] == nil {
                        outcomes[position] = answeredWithoutReply.map { .success($0) }
                            ?? .failure(NetlinkError(errno: EPROTO, message: "\(command.name) answered without a reply message"))
                    }
                })
            return outcomes.map { $0 ?? .failure(NetlinkError(errno: EIO, message: "no answer")) }
        }
    }

    /// What ends the answer to a `do` of `command`: its reply when the spec
    /// gives it one (no ACK asked: one datagram back instead of two), else
    /// the ACK.
    static func answerEnd(of command: SubdevCommand) -> NetlinkConnection.AnswerEnd {
        subdevFamilyPolicy.operations[command.rawValue]?.doReplies == true ? .reply : .ack
    }
}
