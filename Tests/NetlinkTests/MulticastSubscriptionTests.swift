import XCTest
import Netlink

/// A subscription to a generic netlink group no kernel family uses, fed
/// by a plain socket.
final class MulticastSubscriptionTests: XCTestCase {
    func message(_ sequence: UInt32, payload: Int = 4) -> [UInt8] {
        NetlinkMessage(header: MessageHeader(type: 0x30, flags: [], sequence: sequence),
                       payload: [UInt8](repeating: 1, count: payload)).encoded()
    }

    /// A notification datagram longer than a read takes cannot be read
    /// whole: the messages whole before the cut are delivered, then the
    /// loss is reported as an overrun, and what follows arrives as usual.
    func testADatagramLongerThanAReadIsDeliveredUpToTheCutThenReportedAsAnOverrun() async throws {
        let used = Set(try NetlinkConnection(protocol: .generic).families().flatMap { $0.multicastGroups.values })
        let group = try XCTUnwrap((1...UInt32(32)).reversed().first { !used.contains($0) }, "every group id is a kernel family's")
        let sender = try NetlinkSocket(protocol: .generic)
        try sender.setBufferSizes(receive: 32768, send: 1 << 20)
        let subscription = try MulticastSubscription(protocol: .generic, groups: [group], senderPort: sender.localPort,
                                                     receiveBuffer: 1 << 20)
        defer { subscription.cancel() }
        try sender.send(message(1), toGroup: group)
        try sender.send(message(2) + message(3, payload: NetlinkSocket.defaultReceiveRoom), toGroup: group)
        try sender.send(message(4), toGroup: group)
        var seen: [String] = []
        for await event in subscription.events {
            switch event {
            case .message(let message): seen.append("\(message.header.sequence)")
            case .overrun: seen.append("overrun")
            }
            if seen.last == "4" { break }
        }
        XCTAssertEqual(seen, ["1", "2", "overrun", "4"])
    }
}
