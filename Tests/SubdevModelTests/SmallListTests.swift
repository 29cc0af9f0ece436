import XCTest
@testable import SubdevModel

/// A handler's list of replies or notifications reads back in the order
/// written, however it was made.
final class SmallListTests: XCTestCase {
    func testReadsInTheOrderWrittenWhateverTheCount() {
        var list = SmallList<Int>()
        XCTAssertTrue(list.isEmpty)
        XCTAssertEqual(Array(list), [])
        for value in 1...5 {
            list.append(value)
            XCTAssertEqual(Array(list), Array(1...value))
            XCTAssertEqual(list.count, value)
            XCTAssertFalse(list.isEmpty)
        }
    }

    func testEachWayOfMakingOneAgrees() {
        XCTAssertEqual(Array(SmallList(7)), [7])
        XCTAssertEqual(Array(SmallList([3, 1, 2])), [3, 1, 2])
        let literal: SmallList<String> = ["a", "b"]
        XCTAssertEqual(Array(literal), ["a", "b"])
        let empty: SmallList<String> = []
        XCTAssertTrue(empty.isEmpty)
    }

    func testAppendingAListKeepsBothInOrder() {
        var first: SmallList = [1, 2]
        first += SmallList([3, 4, 5])
        XCTAssertEqual(Array(first), [1, 2, 3, 4, 5])
        var empty = SmallList<Int>()
        empty += SmallList(9)
        XCTAssertEqual(Array(empty), [9])
        empty += SmallList()
        XCTAssertEqual(Array(empty), [9])
    }
}
