import XCTest
import Netlink
import Synchronization

/// The request engine against a scripted peer on a usersock socket, for
/// answers no well-behaved server gives on demand.
final class ConnectionTests: XCTestCase {
    /// Answers the next request with `reply(request)` on a thread of its own.
    func serve(_ peer: NetlinkSocket, _ reply: @escaping @Sendable (NetlinkMessage) -> [[UInt8]]) {
        let box = SocketBox(peer)
        Thread.detachNewThread {
            guard let datagram = try? box.socket.receive(),
                  let request = try? NetlinkMessage.parse(datagram.bytes).first else { return }
            for part in reply(request) { try? box.socket.send(part, toPort: datagram.senderPort) }
        }
    }

    func testDumpInterruptedIsATypedErrorWithThePartialResult() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort)
        serve(peer) { request in
            let part = { (flags: MessageFlags, byte: UInt8) in
                NetlinkMessage(header: MessageHeader(type: 0x500, flags: flags, sequence: request.header.sequence,
                                                     port: request.header.port), payload: [1, 1, 0, 0, byte, 0, 0, 0]).encoded()
            }
            return [part(.multi, 1) + part([.multi, .dumpInterrupted], 2),
                    ExtendedAck.done(for: request.header).encoded()]
        }
        let request = GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage
        XCTAssertThrowsError(try connection.dump(request)) { error in
            guard let interrupted = error as? DumpInterruptedError else { return XCTFail("\(error)") }
            XCTAssertEqual(interrupted.partial.map { $0.payload[4] }, [1, 2])
        }
    }

    func testRepliesToOtherSequencesAreSkipped() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort)
        serve(peer) { request in
            var stale = request.header
            stale.sequence &-= 1
            return [ExtendedAck.encode(error: NetlinkError(errno: EBUSY, message: "stale"), for: stale).encoded(),
                    ExtendedAck.encode(error: NetlinkError(errno: EEXIST, message: "this one"), for: request.header).encoded()]
        }
        XCTAssertThrowsError(try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage)) { error in
            XCTAssertEqual(error as? NetlinkError, NetlinkError(errno: EEXIST, message: "this one"))
        }
    }

    /// A peer that acks every message of each datagram, recording how the
    /// requests were packed.
    final class PackingPeer: @unchecked Sendable {
        let socket: NetlinkSocket
        private let lock = NSLock()
        private var sizes: [Int] = []
        init() throws { socket = try NetlinkSocket(protocol: .userSock) }
        var datagramSizes: [Int] { lock.withLock { sizes } }

        func serve(_ expected: Int) {
            Thread.detachNewThread { [self] in
                var answered = 0
                while answered < expected, let datagram = try? socket.receive() {
                    guard let requests = try? NetlinkMessage.parse(datagram.bytes) else { return }
                    lock.withLock { sizes.append(requests.count) }
                    for request in requests {
                        try? socket.send(ExtendedAck.encode(error: nil, for: request.header).encoded(), toPort: datagram.senderPort)
                    }
                    answered += requests.count
                }
            }
        }
    }

    func testPipelinedRequestsArePackedIntoFewDatagrams() throws {
        let peer = try PackingPeer()
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.socket.localPort)
        peer.serve(40)
        let results = try connection.pipeline((0..<40).map { _ in GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage })
        XCTAssertEqual(results.count, 40)
        XCTAssertTrue(results.allSatisfy { (try? $0.get()) != nil })
        XCTAssertEqual(peer.datagramSizes, [40], "the whole window goes out in one datagram")
    }

    func testAPackedDatagramStaysWithin32KiB() throws {
        let peer = try PackingPeer()
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.socket.localPort)
        peer.serve(100)
        let request = GenericMessage(family: 0x500, command: 1, version: 1, attributes: [UInt8](repeating: 0, count: 1_000)).netlinkMessage
        let results = try connection.pipeline(Array(repeating: request, count: 100), window: 100)
        XCTAssertTrue(results.allSatisfy { (try? $0.get()) != nil })
        let sizes = peer.datagramSizes
        XCTAssertEqual(sizes.reduce(0, +), 100)
        XCTAssertTrue(sizes.allSatisfy { $0 * request.encoded().count <= 32 * 1024 }, "\(sizes)")
        XCTAssertGreaterThan(sizes.count, 3)
    }

    /// A reply message to `request` carrying `byte`.
    static func reply(to request: NetlinkMessage, _ byte: UInt8) -> [UInt8] {
        NetlinkMessage(header: MessageHeader(type: 0x500, flags: [], sequence: request.header.sequence, port: request.header.port),
                       payload: [1, 1, 0, 0, byte, 0, 0, 0]).encoded()
    }

    func testAnAnswerEndingAtItsReplyAsksForNoAck() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        serve(peer) { request in
            // A request that asked for an ACK gets none here, and times out.
            request.header.flags.contains(.ack) ? [] : [Self.reply(to: request, 42)]
        }
        let replies = try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage, endingWith: .reply)
        XCTAssertEqual(replies.map { $0.payload[4] }, [42])
    }

    func testAnAnswerEndingAtItsReplyStillReportsAFailure() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        serve(peer) { request in
            [ExtendedAck.encode(error: NetlinkError(errno: ENOSPC, message: "full"), for: request.header).encoded()]
        }
        XCTAssertThrowsError(try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage,
                                                    endingWith: .reply)) { error in
            XCTAssertEqual(error as? NetlinkError, NetlinkError(errno: ENOSPC, message: "full"))
        }
    }

    /// A reply longer than a read takes cannot be taken apart: the request
    /// fails with EMSGSIZE naming both lengths, and the next reply as long
    /// is read whole.
    func testAnAnswerLongerThanAReadTakesFailsWithEMSGSIZEAndTheNextIsWhole() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        try peer.setBufferSizes(receive: 32768, send: 1 << 20)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        let length = NetlinkSocket.defaultReceiveRoom + 4096
        let long: @Sendable (NetlinkMessage) -> [[UInt8]] = { request in
            [NetlinkMessage(header: MessageHeader(type: 0x500, flags: [], sequence: request.header.sequence, port: request.header.port),
                            payload: [1, 1, 0, 0] + [UInt8](repeating: 9, count: length - MessageHeader.size - 4)).encoded()]
        }
        serve(peer, long)
        XCTAssertThrowsError(try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage,
                                                    endingWith: .reply)) { error in
            guard let error = error as? NetlinkError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.errno, EMSGSIZE)
            XCTAssertTrue(error.message?.contains("datagram of \(length) bytes, more than the \(NetlinkSocket.defaultReceiveRoom)") == true, "\(error)")
        }
        serve(peer, long)
        let replies = try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage, endingWith: .reply)
        XCTAssertEqual(replies.first?.payload.count, length - MessageHeader.size)
    }

    func testPipelinedAnswersEndingAtTheirRepliesMatchTheirRequests() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        let box = SocketBox(peer)
        let count = 40
        Thread.detachNewThread {
            var answered = 0
            while answered < count, let datagram = try? box.socket.receive(),
                  let requests = try? NetlinkMessage.parse(datagram.bytes) {
                // In reverse order within each datagram, the fifth request
                // failing; nothing for a request that asked for an ACK.
                var answers: [[UInt8]] = []
                for request in requests.reversed() where !request.header.flags.contains(.ack) {
                    let position = Int(request.payload[8])  // after genlmsghdr and the attribute header
                    answers.append(position == 5
                        ? ExtendedAck.encode(error: NetlinkError(errno: EEXIST, message: "taken"), for: request.header).encoded()
                        : Self.reply(to: request, UInt8(position) &* 2))
                }
                for answer in answers { try? box.socket.send(answer, toPort: datagram.senderPort) }
                answered += requests.count
            }
        }
        let requests = (0..<count).map { position in
            GenericMessage(family: 0x500, command: 1, version: 1, attributes: [8, 0, 1, 0, UInt8(position), 0, 0, 0]).netlinkMessage
        }
        let results = try connection.pipeline(requests, window: 16, endingWith: .reply)
        XCTAssertEqual(results.count, count)
        for (position, result) in results.enumerated() {
            if position == 5 {
                XCTAssertThrowsError(try result.get()) { XCTAssertEqual(($0 as? NetlinkError)?.errno, EEXIST) }
            } else {
                XCTAssertEqual(try result.get().map { $0.payload[4] }, [UInt8(position) &* 2], "request \(position)")
            }
        }
    }

    func testAStreamedPipelineHandsOverEachAnswerAsItArrives() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        let box = SocketBox(peer)
        let count = 30
        let seen = Mutex<[MessageHeader]>([])
        Thread.detachNewThread {
            var answered = 0
            while answered < count, let datagram = try? box.socket.receive(),
                  let requests = try? NetlinkMessage.parse(datagram.bytes) {
                seen.withLock { $0 += requests.map(\.header) }
                // In reverse order within each datagram: two replies then
                // the ACK, and a second ACK for the same request, which is
                // stale; the seventh fails after its first reply.
                for request in requests.reversed() {
                    let position = request.payload[8]
                    var answer = Self.reply(to: request, position)
                    if position == 7 {
                        answer += ExtendedAck.encode(error: NetlinkError(errno: ENOSPC, message: "full"), for: request.header).encoded()
                    } else {
                        answer += Self.reply(to: request, position &+ 100) + ExtendedAck.encode(error: nil, for: request.header).encoded()
                    }
                    answer += ExtendedAck.encode(error: NetlinkError(errno: EIO, message: "stale"), for: request.header).encoded()
                    try? box.socket.send(answer, toPort: datagram.senderPort)
                }
                answered += requests.count
            }
        }
        var events: [String] = []
        try connection.pipeline(
            count: count, window: 8,
            writing: { position, batch in
                GenericMessage.writeRequest(family: 0x500, command: 1, version: 1, to: &batch) { $0.put(UInt16(1), UInt8(position)) }
            },
            reply: { position, message in events.append("\(position) reply \(message.payload[4])") },
            answered: { position, error in events.append("\(position) " + (error.map { "failed \($0.errno)" } ?? "done")) })
        // Each request's answer in full before the next's, each handed over once.
        var expected: [String] = []
        for window in [0..<8, 8..<12, 12..<16, 16..<20, 20..<24, 24..<28, 28..<30] {
            for position in window.reversed() {
                expected.append("\(position) reply \(position)")
                expected += position == 7 ? ["7 failed \(ENOSPC)"] : ["\(position) reply \(position + 100)", "\(position) done"]
            }
        }
        XCTAssertEqual(events, expected)
        // The connection numbered each request in turn and asked for its ACK.
        let headers = seen.withLock { $0 }
        XCTAssertEqual(headers.count, count)
        let first = headers[0].sequence
        for (position, header) in headers.enumerated() {
            XCTAssertEqual(header.sequence, first &+ UInt32(position))
            XCTAssertEqual(header.flags, [.request, .ack])
            XCTAssertEqual(header.port, connection.localPort)
        }
    }

    func testAMalformedAnswerFailsItsOwnRequestOnly() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 2)
        let box = SocketBox(peer)
        Thread.detachNewThread {
            guard let datagram = try? box.socket.receive(), let requests = try? NetlinkMessage.parse(datagram.bytes) else { return }
            for (position, request) in requests.enumerated() {
                // The second gets an NLMSG_ERROR too short to hold an error code.
                let answer = position == 1
                    ? NetlinkMessage(header: MessageHeader(type: MessageType.error, flags: [], sequence: request.header.sequence,
                                                           port: request.header.port), payload: [0, 0]).encoded()
                    : ExtendedAck.encode(error: nil, for: request.header).encoded()
                try? box.socket.send(answer, toPort: datagram.senderPort)
            }
        }
        let results = try connection.pipeline((0..<3).map { _ in GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage })
        XCTAssertNotNil(try? results[0].get())
        XCTAssertThrowsError(try results[1].get()) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EPROTO)
            XCTAssertTrue((error as? NetlinkError)?.message?.contains("NLMSG_ERROR of 2 bytes") ?? false, "\(error)")
        }
        XCTAssertNotNil(try? results[2].get())
    }

    func testSilentPeerTimesOut() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 0.1)
        XCTAssertThrowsError(try connection.execute(GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ETIMEDOUT)
        }
    }

    func testASilentPeerOfAPipelineIsNamedWithWhatIsInFlight() throws {
        let peer = try NetlinkSocket(protocol: .userSock)
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.localPort, timeout: 0.1)
        XCTAssertThrowsError(try connection.pipeline((0..<3).map { _ in GenericMessage(family: 0x500, command: 1, version: 1).netlinkMessage })) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ETIMEDOUT)
            XCTAssertEqual((error as? NetlinkError)?.message, "no answer from netlink port \(peer.localPort) on usersock with 3 requests in flight")
        }
    }

    /// The generic header is written before the attributes, whatever the
    /// slice they come in.
    func testARequestCarriesItsGenericHeaderThenItsAttributes() throws {
        var attributes = AttributeEncoder()
        attributes.put(UInt16(1), "pci")
        let area = [0xEE, 0xEE] + attributes.bytes
        var generic = GenericMessage(family: 0x500, command: 7, version: 2)
        generic.attributeArea = area[2...]  // as a request parsed from a datagram holds them
        let message = generic.netlinkMessage
        XCTAssertEqual(message.payload, [7, 2, 0, 0] + attributes.bytes)
        XCTAssertEqual(message.header.type, 0x500)
    }
}

final class SocketBox: @unchecked Sendable {
    let socket: NetlinkSocket
    init(_ socket: NetlinkSocket) { self.socket = socket }
}
