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
