import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// A requester that reads a dump slowly, with a small receive buffer,
/// loses none of it: the kernel makes a dump's next part only when there
/// is room for it, and the model keeps the rest until there is. Meanwhile
/// it serves everyone else.
final class SlowReaderTests: XCTestCase {
    func testASlowReaderGetsTheWholeDumpAndOthersAreServedMeanwhile() async throws {
        let (model, client, expected) = try await startModelWithWideDump()
        defer { model.stop() }
        let slow = try slowSocket()
        try slow.send(dumpRequest(client, .devGet, sequence: 9), toPort: model.port)
        // Far longer than the moment a blocked send may wait: a model that
        // dropped a part it could not send at once would have dropped it by now.
        for _ in 0..<4 {
            try await Task.sleep(nanoseconds: 250_000_000)
            // Others are served while the dump waits.
            let parents = try await client.parents()
            XCTAssertEqual(parents.count, 1)
        }

        let read = try readUntilDone(slow, sequences: [9])
        XCTAssertGreaterThan(read.datagrams, 1, "the dump fitted in one datagram, so nothing had to wait")
        XCTAssertEqual(read.objects[9], expected, "parts of the dump were lost")
    }

    /// As `netlink_dump_start`: while a socket's dump is still being sent,
    /// another dump it asks for is refused with `EBUSY` and an extended
    /// ACK, and the first goes on whole. Once the first is read to its
    /// end, the socket may dump again. The same port id on the other
    /// protocol is another socket, with dumps of its own.
    func testASecondDumpOnASocketWithADumpRunningIsRefusedWithEBUSY() async throws {
        let (model, client, expected) = try await startModelWithWideDump()
        defer { model.stop() }
        let slow = try slowSocket()
        try slow.enableExtendedAcks()
        try slow.send(dumpRequest(client, .devGet, sequence: 9), toPort: model.port)

        // Another socket with the slow one's port id, on the other
        // protocol, dumps meanwhile and gets its own answer.
        let twin = try NetlinkSocket(protocol: .userSock, localPort: slow.localPort)
        try twin.setReceiveTimeout(5)
        try twin.send(dumpRequest(client, .parentGet, sequence: 20), toPort: model.port)
        let twinRead = try readUntilDone(twin, sequences: [20])
        XCTAssertEqual(twinRead.objects[20], 1, "the other protocol's socket did not get its own dump")
        XCTAssertNil(twinRead.errors[20])

        // The refusal waits for room behind the parts already sent, as
        // any answer to a full socket does: read at once.
        try slow.send(dumpRequest(client, .parentGet, sequence: 10), toPort: model.port)
        let read = try readUntilDone(slow, sequences: [9, 10])
        XCTAssertEqual(read.objects[9], expected, "the running dump lost parts to the refused one")
        XCTAssertNil(read.errors[9])
        XCTAssertEqual(read.objects[10], 0, "the second dump was not refused")
        let refusal = try XCTUnwrap(read.errors[10], "the second dump got no error")
        XCTAssertEqual(refusal.errno, EBUSY)
        XCTAssertTrue(refusal.message?.contains("dump running") ?? false, "no extended ACK message: \(refusal)")

        // The first dump is over: the socket may dump again.
        try slow.send(dumpRequest(client, .parentGet, sequence: 11), toPort: model.port)
        let again = try readUntilDone(slow, sequences: [11])
        XCTAssertNil(again.errors[11])
        XCTAssertEqual(again.objects[11], 1)
    }

    /// A model with one serial card and 400 subdevices on it: a dump of
    /// several datagrams. Returns the subdevices as the client counts them.
    private func startModelWithWideDump() async throws -> (ModelProcess, SubdevClient, Int) {
        let hardware = try temporaryDirectory(for: self) + "/wide.yaml"
        try "parents:\n  - bus: virtual\n    name: wide\n    driver: mtty\n    iommu-group: 0\n    config:\n      ports: 400\n"
            .write(toFile: hardware, atomically: true, encoding: .utf8)
        let model = try ModelProcess.start(arguments: ["--hardware", hardware, "--no-sysfs"])
        do {
            let client = try await SubdevClient.connect(port: model.port)
            let wide = ParentHandle(bus: "virtual", name: "wide")
            for outcome in try await client.createDevices((0..<400).map { _ in NewDevice(parent: wide, type: "mtty-1") }) {
                _ = try outcome.get()
            }
            let expected = try await client.devices().count
            XCTAssertEqual(expected, 400)
            return (model, client, expected)
        } catch {
            model.stop()
            throw error
        }
    }

    /// A generic socket with a receive buffer far smaller than a dump part.
    private func slowSocket() throws -> NetlinkSocket {
        let slow = try NetlinkSocket(protocol: .generic)
        try slow.setBufferSizes(receive: 4096, send: 65536)
        try slow.setReceiveTimeout(5)
        return slow
    }

    private func dumpRequest(_ client: SubdevClient, _ command: SubdevCommand, sequence: UInt32) -> [UInt8] {
        GenericMessage(family: client.family.id, command: command.rawValue, version: UInt8(client.family.version),
                       flags: [.request, .dump], sequence: sequence).encoded()
    }

    /// Reads `socket` until every one of `sequences` has ended, in
    /// `NLMSG_DONE` or an error: the objects each got, and its error.
    private func readUntilDone(_ socket: NetlinkSocket, sequences: Set<UInt32>) throws
        -> (objects: [UInt32: Int], errors: [UInt32: NetlinkError], datagrams: Int) {
        var objects: [UInt32: Int] = [:], errors: [UInt32: NetlinkError] = [:], datagrams = 0
        var open = sequences
        for sequence in sequences { objects[sequence] = 0 }
        while !open.isEmpty {
            let datagram = try socket.receive()
            datagrams += 1
            for message in try NetlinkMessage.parse(datagram.bytes) where open.contains(message.header.sequence) {
                let sequence = message.header.sequence
                switch message.header.type {
                case MessageType.done, MessageType.error:
                    if let error = try ExtendedAck.decode(message) { errors[sequence] = error }
                    open.remove(sequence)
                default:
                    objects[sequence, default: 0] += 1
                }
            }
        }
        return (objects, errors, datagrams)
    }
}
