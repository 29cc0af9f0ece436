@testable import SubdevModel
import XCTest

/// When the model gives freed heap back: only after a shrink worth it,
/// and only once it has rested.
final class HeapTrimmerTests: XCTestCase {
    func testNothingIsPendingUntilEnoughSubdevicesWent() {
        var trimmer = HeapTrimmer()
        trimmer.served(count: 10_000, now: { 0 })
        trimmer.served(count: 10_000 - HeapTrimmer.shrinkWorthTrimming + 1, now: { 1 })
        XCTAssertNil(trimmer.due, "one subdevice short of a shrink worth trimming")
        XCTAssertEqual(trimmer.timeout(now: 1), -1)
        XCTAssertFalse(trimmer.takeDue(count: 0, now: 100))
    }

    func testATrimIsDueAfterARestThatEveryWakeUpPutsBack() {
        var trimmer = HeapTrimmer()
        trimmer.served(count: 10_000, now: { 0 })
        trimmer.served(count: 0, now: { 5 })
        XCTAssertEqual(trimmer.due, 5 + HeapTrimmer.restSeconds)
        XCTAssertEqual(trimmer.timeout(now: 5.25), Int32((HeapTrimmer.restSeconds - 0.25) * 1000))
        XCTAssertFalse(trimmer.takeDue(count: 0, now: 5.5), "the rest is not over")
        // Another wake-up that served something: the rest starts again.
        trimmer.served(count: 0, now: { 5.9 })
        XCTAssertFalse(trimmer.takeDue(count: 0, now: 5 + HeapTrimmer.restSeconds))
        XCTAssertEqual(trimmer.timeout(now: 100), 0, "overdue")
        XCTAssertTrue(trimmer.takeDue(count: 0, now: 5.9 + HeapTrimmer.restSeconds))
        XCTAssertNil(trimmer.due)
        XCTAssertFalse(trimmer.takeDue(count: 0, now: 1_000), "taken once")
    }

    func testAfterATrimTheShrinkCountsFromWhatWasLeft() {
        var trimmer = HeapTrimmer()
        trimmer.served(count: 20_000, now: { 0 })
        trimmer.served(count: 12_000, now: { 0 })
        XCTAssertTrue(trimmer.takeDue(count: 12_000, now: 10))
        XCTAssertEqual(trimmer.highWater, 12_000)
        trimmer.served(count: 12_000 - HeapTrimmer.shrinkWorthTrimming + 1, now: { 11 })
        XCTAssertNil(trimmer.due, "measured from the count at the trim, not the old high water")
        trimmer.served(count: 12_000 - HeapTrimmer.shrinkWorthTrimming, now: { 12 })
        XCTAssertNotNil(trimmer.due)
    }
}
