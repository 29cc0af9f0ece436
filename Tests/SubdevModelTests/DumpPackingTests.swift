import XCTest
import Netlink
@testable import SubdevModel

final class DumpPackingTests: XCTestCase {
    func testDumpPartsFillDatagramsOfAtMost32KiBAndKeepEveryMessage() throws {
        let messages = (0..<100).map { index in
            NetlinkMessage(header: MessageHeader(type: 0x500, flags: .multi, sequence: 7, port: 9),
                           payload: [UInt8](repeating: UInt8(index), count: 1000 + index))
        } + [ExtendedAck.done(for: MessageHeader(type: 0x500, flags: [.request, .dump], sequence: 7, port: 9))]
        let datagrams = ModelServer.pack(messages)
        XCTAssertGreaterThan(datagrams.count, 1)
        XCTAssertTrue(datagrams.allSatisfy { $0.count <= ModelServer.dumpBudget })
        let parsed = try datagrams.flatMap { try NetlinkMessage.parse($0) }
        XCTAssertEqual(parsed.map(\.payload), messages.map(\.payload))
        XCTAssertEqual(parsed.last?.header.type, MessageType.done, "NLMSG_DONE closes the last part")
    }
}

final class ReplyAddressingTests: XCTestCase {
    func testRepliesCarryTheSendersRealPortNotTheHeaders() throws {
        guard getuid() == 0 else { throw XCTSkip("the model needs CAP_NET_ADMIN") }
        let port = UInt32.random(in: 1...200) << 22 | UInt32.random(in: 0x100000..<0x400000)
        let server = try ModelServer(configuration: ModelConfiguration(port: port, groupIDs: ["config": 32, "events": 31]),
                                     machine: try HardwareFile.load(HardwareFile.embeddedDefault(), plugins: .builtIn))
        let request = GenericMessage(family: ModelConfiguration.defaultFamilyID, command: 1, version: 1,
                                     flags: [.request, .dump], sequence: 5, port: 0)
        let answer = server.respond(to: request.netlinkMessage, from: 4242, credentials: nil)
        let messages = try answer.datagrams.flatMap { try NetlinkMessage.parse($0) }
        XCTAssertFalse(messages.isEmpty)
        XCTAssertTrue(messages.allSatisfy { $0.header.port == 4242 && $0.header.sequence == 5 })
    }
}
