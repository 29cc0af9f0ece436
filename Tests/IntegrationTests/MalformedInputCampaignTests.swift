import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// Malformed input over the real sockets (issue 7): each well-formed
/// request of the seed corpus, broken one way at a time with a fixed seed,
/// is sent to a running `subdevd` over generic netlink and usersock in
/// turn. Every request-flagged message must get an `NLMSG_ERROR` with an
/// errno and an extack message; what the kernel drops unanswered must get
/// nothing; the model stays up and its state does not change.
final class MalformedInputCampaignTests: XCTestCase {
    static let seed: UInt64 = 0x5EED_0007
    /// Variants of each kind made from each seed request.
    static let perSeed = 10

    func testEveryMalformedRequestIsRefusedAndChangesNothing() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let seeds = try Self.seedRequests()
        let generic = try NetlinkSocket(protocol: .generic)
        let userSock = try NetlinkSocket(protocol: .userSock)
        for socket in [generic, userSock] {
            try socket.setReceiveTimeout(5)
            try socket.setBufferSizes(receive: 4 << 20, send: 256 << 10)
        }

        // The seeds' own subdevices, so that sets, deletes and answers
        // that wrongly got through would change something.
        var sequence: UInt32 = 1
        for name in ["dev-new-dwq", "dev-new-swq", "dev-new-vgpu", "dev-new-mtty"] {
            guard let parts = seeds.first(where: { $0.name == name })?.parts else { return XCTFail("no seed \(name)") }
            sequence += 1
            let answer = try exchange(parts.encoded(sequence: sequence), sequences: [sequence], on: generic, port: model.port)
            XCTAssertNil(answer.errors[sequence] ?? nil, "\(name) should succeed")
        }
        let before = try await snapshot(client)

        var campaign = MalformedCampaign(seeds: seeds, familyID: client.family.id, seed: Self.seed)
        let cases = campaign.cases(perSeed: Self.perSeed)
        var refused = 0, dropped = 0, byCategory: [String: Int] = [:]
        for (number, malformed) in cases.enumerated() {
            let socket = number % 2 == 0 ? generic : userSock
            byCategory[malformed.category, default: 0] += 1
            let context = "case \(number) (\(malformed.category), \(socket.netlinkProtocol), \(malformed.datagram.count) bytes, prefix \(malformed.datagram.prefix(48)))"
            switch malformed.expectation {
            case .refused(let errnos):
                let answer: Answer
                do {
                    answer = try exchange(malformed.datagram, sequences: malformed.sequences, on: socket, port: model.port)
                } catch {
                    XCTFail("\(context): \(error)")
                    continue
                }
                for sequence in malformed.sequences {
                    guard let error = answer.errors[sequence] ?? nil else {
                        XCTFail("\(context): acknowledged without an error")
                        continue
                    }
                    XCTAssertTrue(errnos.contains(error.errno), "\(context): errno \(error.errno) (\(error)), expected one of \(errnos.sorted())")
                    XCTAssertFalse((error.message ?? "").isEmpty, "\(context): errno \(error.errno) without an extack message")
                    XCTAssertTrue(answer.replies[sequence, default: 0] == 0, "\(context): replies came before the error")
                    XCTAssertEqual(answer.endTypes[sequence], MessageType.error, "\(context): ended by type \(answer.endTypes[sequence] ?? 0), not NLMSG_ERROR")
                    refused += 1
                }
            case .dropped:
                // Nothing may come back: the next answer is the sentinel's.
                try socket.send(malformed.datagram, toPort: model.port)
                sequence += 1
                let ping = campaign.seeds.first { $0.name == "parent-get" }?.parts.encoded(sequence: sequence) ?? []
                let answer = try exchange(ping, sequences: [sequence], on: socket, port: model.port)
                XCTAssertEqual(answer.strays, 0, "\(context): the model answered a datagram the kernel drops")
                dropped += 1
            }
        }

        let after = try await snapshot(client)
        XCTAssertEqual(before, after, "malformed requests changed the model's state")
        XCTAssertTrue(model.process.isRunning, "subdevd died")
        let summary = byCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("malformed-input campaign, seed 0x\(String(Self.seed, radix: 16)): \(cases.count) datagrams (\(summary)); "
              + "\(refused) requests refused with NLMSG_ERROR and an extack message, \(dropped) dropped unanswered as the kernel drops them; "
              + "model up, state unchanged")
        XCTAssertGreaterThan(refused, 1000)
    }

    /// Unknown flag bits on a well-formed read change nothing about its answer.
    func testUnknownFlagsOnAReadChangeNothing() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let socket = try NetlinkSocket(protocol: .generic)
        try socket.setReceiveTimeout(5)
        let seeds = try Self.seedRequests()
        for name in ["parent-get", "parent-dump", "type-get", "type-dump", "dev-dump", "ctrl-getfamily"] {
            guard var parts = seeds.first(where: { $0.name == name })?.parts else { return XCTFail("no seed \(name)") }
            // An ACK ends every answer, dump or do.
            parts.flags |= MessageFlags.ack.rawValue
            let plain = try exchange(parts.encoded(sequence: 7), sequences: [7], on: socket, port: model.port)
            parts.flags |= 0x40 | 0x1000 | 0x8000
            let flagged: Answer
            do {
                flagged = try exchange(parts.encoded(sequence: 8), sequences: [8], on: socket, port: model.port)
            } catch {
                XCTFail("\(name) with unknown flags: \(error)")
                continue
            }
            XCTAssertEqual(plain.payloads, flagged.payloads, "\(name): unknown flags changed the answer")
            XCTAssertGreaterThan(plain.payloads.count, 0, name)
        }
    }

    /// A datagram of a good request and then a message whose length runs
    /// past the end: the first is answered, the rest dropped, as
    /// `netlink_rcv_skb` reads a datagram.
    func testMessagesBeforeABadLengthAreStillAnswered() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let socket = try NetlinkSocket(protocol: .generic)
        try socket.setReceiveTimeout(5)
        guard let parts = try Self.seedRequests().first(where: { $0.name == "parent-get" })?.parts else { return XCTFail("no seed") }
        let datagram = parts.encoded(sequence: 21) + parts.encoded(sequence: 22, length: 4000)
        let answer = try exchange(datagram, sequences: [21], on: socket, port: model.port)
        XCTAssertEqual(answer.replies[21], 1)
        XCTAssertEqual(answer.strays, 0)
    }

    /// A datagram of a `do`, a dump and another `do`: each is answered in
    /// turn, and on the requester's socket every answer comes in request
    /// order, one datagram per reply, ack or dump part, though the model
    /// sends the answers of a datagram together.
    func testTheRequestsOfADatagramAreAnsweredInOrder() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let socket = try NetlinkSocket(protocol: .generic)
        try socket.setReceiveTimeout(5)
        let seeds = try Self.seedRequests()
        guard let get = seeds.first(where: { $0.name == "parent-get" })?.parts,
              let dump = seeds.first(where: { $0.name == "parent-dump" })?.parts else { return XCTFail("no seeds") }
        try socket.send(get.encoded(sequence: 41) + dump.encoded(sequence: 42) + get.encoded(sequence: 43), toPort: model.port)
        var order: [UInt32] = [], ends: [UInt32: UInt16] = [:]
        while ends.count < 3 {
            let received = try socket.receive()
            guard received.senderPort == model.port, received.groups == 0 else { continue }
            let messages = try NetlinkMessage.parse(received.bytes)
            if messages.contains(where: { $0.header.sequence != 42 }) {
                XCTAssertEqual(messages.count, 1, "a do's reply and its ack are datagrams of their own")
            }
            for message in messages {
                order.append(message.header.sequence)
                if message.header.type == MessageType.error || message.header.type == MessageType.done {
                    ends[message.header.sequence] = message.header.type
                    XCTAssertNil(try ExtendedAck.decode(message), "sequence \(message.header.sequence)")
                }
            }
        }
        XCTAssertEqual(ends, [41: MessageType.error, 42: MessageType.done, 43: MessageType.error])
        // Collapsed runs of sequence numbers: each request's answer whole, in order.
        XCTAssertEqual(order.reduce(into: [UInt32]()) { if $0.last != $1 { $0.append($1) } }, [41, 42, 43])
        XCTAssertEqual(order.filter { $0 == 41 }.count, 2, "parent-get: its reply, then its ack")
    }

    /// Control types (below `NLMSG_MIN_TYPE`) flagged as requests are
    /// skipped, as `netlink_rcv_skb` skips them: acknowledged when they
    /// ask, else unanswered.
    func testControlTypesAreAcknowledgedOnlyWhenTheyAsk() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let socket = try NetlinkSocket(protocol: .generic)
        try socket.setReceiveTimeout(5)
        guard var parts = try Self.seedRequests().first(where: { $0.name == "parent-get" })?.parts else { return XCTFail("no seed") }
        var sequence: UInt32 = 100
        for type in UInt16(0)..<MessageType.minType {
            parts.type = type
            parts.flags = MessageFlags.request.rawValue
            try socket.send(parts.encoded(sequence: sequence), toPort: model.port)
            parts.flags |= MessageFlags.ack.rawValue
            sequence += 1
            let answer = try exchange(parts.encoded(sequence: sequence), sequences: [sequence], on: socket, port: model.port)
            XCTAssertEqual(answer.strays, 0, "type \(type) without NLM_F_ACK was answered")
            XCTAssertEqual(answer.endTypes[sequence], MessageType.error, "type \(type)")
            XCTAssertNil(answer.errors[sequence] ?? nil, "type \(type) with NLM_F_ACK should get a plain ACK")
            sequence += 1
        }
    }

    // MARK: helpers

    /// The seed corpus's single-message requests, taken apart.
    static func seedRequests() throws -> [(name: String, parts: RequestParts)] {
        let corpus = OperatorToolTests.packageRoot.appendingPathComponent("Fuzz/corpus/model-requests")
        return try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: corpus.appendingPathComponent(name).path),
                  (try? NetlinkMessage.parse(Array(data)))?.count == 1, let parts = RequestParts(Array(data)) else { return nil }
            return (name, parts)
        }
    }

    struct Answer {
        /// The error each request ended with: `nil` inside for an ACK or a clean dump end.
        var errors: [UInt32: NetlinkError?] = [:]
        /// Reply messages before the end, by sequence.
        var replies: [UInt32: Int] = [:]
        /// The type of the message that ended each request.
        var endTypes: [UInt32: UInt16] = [:]
        /// Messages for sequences not asked about.
        var strays = 0
        /// Every payload of the answer, in order, for comparing answers.
        var payloads: [[UInt8]] = []
    }

    /// Sends `datagram` and reads until each of `sequences` has ended
    /// (`NLMSG_ERROR`, or `NLMSG_DONE` for a dump).
    func exchange(_ datagram: [UInt8], sequences: [UInt32], on socket: NetlinkSocket, port: UInt32) throws -> Answer {
        try socket.send(datagram, toPort: port)
        var answer = Answer()
        var open = Set(sequences)
        while !open.isEmpty {
            let received = try socket.receive()
            guard received.senderPort == port, received.groups == 0 else { continue }
            for message in try NetlinkMessage.parse(received.bytes) {
                guard open.contains(message.header.sequence) else {
                    answer.strays += 1
                    continue
                }
                switch message.header.type {
                case MessageType.error, MessageType.done:
                    // The errno, not the echoed request header.
                    answer.payloads.append(Array(message.payload.prefix(4)))
                    answer.errors[message.header.sequence] = .some(try ExtendedAck.decode(message))
                    answer.endTypes[message.header.sequence] = message.header.type
                    open.remove(message.header.sequence)
                default:
                    answer.payloads.append(message.payload)
                    answer.replies[message.header.sequence, default: 0] += 1
                }
            }
        }
        return answer
    }

    /// Parents, their types and the subdevices, as text to compare.
    func snapshot(_ client: SubdevClient) async throws -> String {
        var text = "\(try await client.parents())\n\(try await client.devices())\n"
        for parent in try await client.parents() {
            text += "\(try await client.types(of: parent.handle))\n"
        }
        return text
    }
}
