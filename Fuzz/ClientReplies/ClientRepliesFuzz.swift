// The client's reply and event decoding under libFuzzer: each input picks
// a client call and the bytes its peer answers with (or broadcasts on a
// group), and the real SubdevClient, over a real socket, reads them:
// NetlinkConnection's matching of replies, ExtendedAck, the object
// decoders, batches, and the group subscriptions with their
// resynchronisation. A call may fail; it must not trap or hang.
//
// Input: byte 0 picks the call, byte 1 the FakeFamily.Mode, the rest is
// the answer. Built normally, it replays files; built with
// -sanitize=fuzzer -DFUZZING it is a libFuzzer binary (Docs/reliability.md).

import Dispatch
import Foundation
import Netlink
import Subdev
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

enum ClientRepliesFuzz {
    /// The calls an input can pick, by byte 0 modulo their number.
    enum Call: Int, CaseIterable {
        case parents, parent, types, type, devices, device, create, createMany, set, delete, deleteMany, compat, inject
        case configGroup, eventsGroup, deviceConnection
    }

    static let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
    static let gpu = ParentHandle(bus: "pci", name: "0000:3b:00.0")
    static let sentinelName = "fuzz-sentinel"

    /// Everything one run needs, made at the first input. libFuzzer calls
    /// from one thread, and each input waits for its call to end.
    final class Session: @unchecked Sendable {
        let family: FakeFamily
        let client: SubdevClient
        /// Kept: a subscription's socket closes when its sequence goes.
        private let subscriptions: (ConfigNotifications, SubdevEvents)
        private var config: ConfigNotifications.AsyncIterator
        private var events: SubdevEvents.AsyncIterator

        init() throws {
            family = try FakeFamily()
            let family = self.family
            client = try wait { try await SubdevClient.connect(port: family.port, transport: .generic, timeout: 1) }
            subscriptions = (try client.configNotifications(), try client.events())
            config = subscriptions.0.makeAsyncIterator()
            events = subscriptions.1.makeAsyncIterator()
        }

        /// Broadcasts `answer` on `config` and reads the group up to the
        /// sentinel's del notification that follows it.
        func config(_ answer: [UInt8]) async {
            let group = SubdevMulticastGroup.config.rawValue
            let sentinel = ClientRepliesFuzz.sentinel(.devDelNtf, familyID: client.family.id)
            family.broadcast(answer, sentinel: sentinel, on: group)
            await drain(&config, until: { if case .deleted(let device) = $0 { return device.name == sentinelName } else { return false } },
                        lost: { if case .resynchronised = $0 { return true } else { return false } },
                        resend: { [family] in family.broadcast([], sentinel: sentinel, on: group) })
        }

        /// Broadcasts `answer` on `events` and reads the group up to the
        /// sentinel's remove request that follows it.
        func events(_ answer: [UInt8]) async {
            let group = SubdevMulticastGroup.events.rawValue
            let sentinel = ClientRepliesFuzz.sentinel(.removeRequestNtf, familyID: client.family.id)
            family.broadcast(answer, sentinel: sentinel, on: group)
            await drain(&events, until: { if case .removeRequest(let event) = $0 { return event.name == sentinelName } else { return false } },
                        lost: { if case .resynchronised = $0 { return true } else { return false } },
                        resend: { [family] in family.broadcast([], sentinel: sentinel, on: group) })
        }
    }

    nonisolated(unsafe) static var session: Session?

    static func current() -> Session {
        if let session { return session }
        do {
            let made = try Session()
            session = made
            return made
        } catch {
            FileHandle.standardError.write(Data("subdev-fuzz-client: cannot start: \(error)\n".utf8))
            exit(2)
        }
    }

    /// Runs one input.
    static func run(_ bytes: [UInt8]) {
        guard bytes.count >= 2, let call = Call(rawValue: Int(bytes[0]) % Call.allCases.count) else { return }
        let session = current()
        let answer = Array(bytes[2...])
        session.family.answer(with: answer, mode: FakeFamily.Mode(rawValue: bytes[1] & 3))
        perform(call, session: session, answer: answer)
    }

    /// Makes `call`; its outcome is dropped, since any error is a fair
    /// answer to bytes chosen at random.
    static func perform(_ call: Call, session: Session, answer: [UInt8]) {
        let client = session.client
        switch call {
        case .configGroup:
            wait { await session.config(answer) }
        case .eventsGroup:
            wait { await session.events(answer) }
        case .deviceConnection:
            // What a holder's device connection decodes.
            for message in NetlinkMessage.leadingMessages(of: answer) {
                _ = try? SubdevEvent(message, familyID: client.family.id)
            }
        default:
            wait { _ = try? await request(call, client) }
        }
    }

    /// The family calls, each reading what the peer answers.
    static func request(_ call: Call, _ client: SubdevClient) async throws {
        switch call {
        case .parents: _ = try await client.parents()
        case .parent: _ = try await client.parent(dsa)
        case .types: _ = try await client.types()
        case .type: _ = try await client.type("dwq", of: dsa)
        case .devices: _ = try await client.devices()
        case .device: _ = try await client.device(.name("w"))
        case .create: _ = try await client.createDevice(parent: dsa, type: "dwq", name: "w", params: [("wq-size", .int(8))])
        case .createMany:
            _ = try await client.createDevices([NewDevice(parent: dsa, type: "swq-slice"), NewDevice(parent: gpu, type: "A40-8Q", name: "g"),
                                                NewDevice(parent: dsa, type: "dwq")], window: 2)
        case .set: try await client.setDevice(.name("w"), adminState: .down, params: [("priority", .int(3))])
        case .delete: try await client.deleteDevice(.name("w"), force: true)
        case .deleteMany: _ = try await client.deleteDevices([.name("w"), .name("g"), .index(dsa, 1)], window: 2)
        case .compat: _ = try await client.compatibility(from: .live(.name("g")), to: .live(.name("w")))
        case .inject: try await client.injectAER(parent: dsa, device: .name("w"), severity: .nonFatal)
        case .configGroup, .eventsGroup, .deviceConnection: break
        }
    }

    /// Reads a subscription until the sentinel, going on past elements
    /// that fail to decode. When the client reports a loss (a
    /// resynchronisation), the sentinel may be among what was lost, which
    /// is the client working as it should: the sentinel is sent again.
    /// A sentinel lost without a report hangs the input, and libFuzzer's
    /// timeout reports that as the bug it is.
    static func drain<I: AsyncIteratorProtocol>(_ iterator: inout I, until isSentinel: (I.Element) -> Bool,
                                                lost: (I.Element) -> Bool, resend: () -> Void) async {
        while true {
            do {
                guard let element = try await iterator.next() else { return }
                if isSentinel(element) { return }
                if lost(element) { resend() }
            } catch {
                continue
            }
        }
    }

    /// A well-formed notification or event that ends a broadcast.
    static func sentinel(_ command: SubdevCommand, familyID: UInt16) -> [UInt8] {
        var attributes = AttributeEncoder()
        if command == .removeRequestNtf {
            attributes.put(SubdevEventAttr.seq, UInt64(1))
            attributes.put(SubdevEventAttr.busName, "virtual")
            attributes.put(SubdevEventAttr.devName, "mtty")
            attributes.put(SubdevEventAttr.index, UInt32(0))
            attributes.put(SubdevEventAttr.name, sentinelName)
        } else {
            attributes.put(SubdevDevAttr.busName, "virtual")
            attributes.put(SubdevDevAttr.devName, "mtty")
            attributes.put(SubdevDevAttr.index, UInt32(0))
            attributes.put(SubdevDevAttr.type, "mtty-1")
            attributes.put(SubdevDevAttr.name, sentinelName)
        }
        return GenericMessage(family: familyID, command: command.rawValue, version: UInt8(subdevFamilyVersion),
                              attributes: attributes.bytes).encoded()
    }
}

/// Runs async work to its end from the fuzzing thread.
func wait<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
        done.signal()
    }
    done.wait()
    guard let value = box.value else { throw CancellationError() }
    return try value.get()
}

func wait(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

/// Carries a task's result to the waiting thread; the semaphore orders
/// the write before the read.
final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}

