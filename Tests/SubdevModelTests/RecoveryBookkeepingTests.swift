import XCTest
import Netlink
import SubdevUAPI
@testable import SubdevModel
#if canImport(Glibc)
import Glibc
#endif

/// The bookkeeping behind AER recoveries and hotplug windows, without sockets.
final class RecoveryBookkeepingTests: XCTestCase {
    let holders = [Holder(pid: 10, uid: 0, gid: 0), Holder(pid: 20, uid: 0, gid: 0)]

    func answer(_ recoveries: inout Recoveries, pid: Int32, sequence: UInt64 = 7,
                _ result: SubdevAerResult = .recovered) -> NetlinkError? {
        do {
            try recoveries.answer(3, handle: "pci/x/0", pid: pid, sequence: sequence, result: result) { _ in nil }
            return nil
        } catch {
            return error as? NetlinkError
        }
    }

    func testARecoveryIsCompleteWhenEveryHolderAskedHasAnsweredOrLetGo() {
        var recoveries = Recoveries()
        recoveries.start(3, sequence: 7, severity: .fatal, channel: .frozen, holders: holders, timeoutMilliseconds: 60_000)
        XCTAssertEqual(recoveries.due(), [])
        XCTAssertNil(answer(&recoveries, pid: 10, .needReset))
        XCTAssertEqual(recoveries.due(), [], "holder 20 has not answered")
        recoveries.forget(3, pid: 20)
        XCTAssertEqual(recoveries.due(), [3], "the only holder left has answered")
        XCTAssertEqual(recoveries.finish(3)?.answers, [10: .needReset])
        XCTAssertFalse(recoveries.isRecovering(3))
    }

    func testAnswersFromStrangersOtherEventsOrTwiceAreRefused() {
        var recoveries = Recoveries()
        XCTAssertEqual(answer(&recoveries, pid: 10)?.errno, ENOENT)
        recoveries.start(3, sequence: 7, severity: .nonFatal, channel: .normal, holders: holders, timeoutMilliseconds: 60_000)
        XCTAssertEqual(answer(&recoveries, pid: 30)?.errno, EPERM)
        XCTAssertEqual(answer(&recoveries, pid: 10, sequence: 6)?.errno, ESTALE)
        XCTAssertNil(answer(&recoveries, pid: 10))
        XCTAssertEqual(answer(&recoveries, pid: 10, .disconnect)?.errno, EALREADY)
        XCTAssertEqual(recoveries.pending[3]?.answers, [10: .recovered], "a refused answer changes nothing")
    }

    func testADeadlineMakesARecoveryDueAndPollWakesForIt() {
        var recoveries = Recoveries()
        XCTAssertEqual(recoveries.timeout(), -1)
        recoveries.start(3, sequence: 7, severity: .fatal, channel: .frozen, holders: holders, timeoutMilliseconds: 20)
        XCTAssertTrue((0...20).contains(recoveries.timeout()))
        usleep(30_000)
        XCTAssertEqual(recoveries.due(), [3])
        XCTAssertEqual(recoveries.timeout(), 0)
    }

    func testAHotplugWindowEndsOnceAndThenNoLongerWakesPoll() {
        var hotplugs = Hotplugs()
        hotplugs.start("pci/a", action: .remove, windowMilliseconds: 10, deadlineMilliseconds: nil)
        hotplugs.start("pci/b", action: .add, windowMilliseconds: 60_000, deadlineMilliseconds: nil)
        XCTAssertTrue((0...10).contains(hotplugs.timeout()))
        usleep(20_000)
        let due = hotplugs.due()
        XCTAssertEqual(due.map(\.parent), ["pci/a"])
        XCTAssertEqual(hotplugs.request(for: "pci/a")?.proceeding, true)
        XCTAssertEqual(hotplugs.due().count, 0, "a proceeding request is not due again")
        XCTAssertGreaterThan(hotplugs.timeout(), 10_000, "only b's window is left to wait for")
        XCTAssertEqual(hotplugs.finish("pci/b")?.action, .add)
    }
}
