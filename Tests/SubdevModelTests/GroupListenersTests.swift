import XCTest
import Netlink
@testable import SubdevModel

/// Who listens on a group, as the kernel's socket diagnostics tell it,
/// over real sockets.
final class GroupListenersTests: XCTestCase {
    func testASocketIsHeardOnTheGroupItJoinedWhileItIsOpen() throws {
        let listeners = GroupListeners()
        // Two ids far below the model's (31 and 32), in the range the kernel
        // hands to families' groups; skipped if this machine already uses them.
        let joined: UInt32 = 27, other: UInt32 = 28
        guard let before = listeners.heard(among: [joined, other]) else {
            throw XCTSkip("the kernel has no netlink socket diagnostics (netlink_diag): the model then sends every notification")
        }
        guard before.isEmpty else { throw XCTSkip("groups \(before.sorted()) already have listeners on this machine") }
        do {
            let socket = try NetlinkSocket(protocol: .generic)
            try socket.join(group: joined)
            XCTAssertEqual(listeners.heard(among: [joined, other]), [joined])
            XCTAssertEqual(listeners.heard(among: [other]), [], "only the groups asked about")
        }
        XCTAssertEqual(listeners.heard(among: [joined, other]), [], "a closed socket listens no more")
    }
}
