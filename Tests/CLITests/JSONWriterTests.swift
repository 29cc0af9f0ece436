import Foundation
import XCTest
@testable import subdev

final class JSONWriterTests: XCTestCase {
    private func text(_ value: Any, pretty: Bool = false) throws -> String {
        String(decoding: try JSONWriter.text(value, pretty: pretty), as: UTF8.self)
    }

    func testCompactOutputHasNoSpacesAndSortsKeys() throws {
        let object: [String: Any] = ["type": "mtty-1", "index": UInt32(3), "holders": [Any](), "up": true,
                                     "params": ["baud": UInt64(9600), "label": ""] as [String: Any], "node": [String: Any]()]
        XCTAssertEqual(try text(object),
                       #"{"holders":[],"index":3,"node":{},"params":{"baud":9600,"label":""},"type":"mtty-1","up":true}"#)
    }

    func testPrettyOutputIndentsByTwoAndWritesEmptyContainersShort() throws {
        let object: [String: Any] = ["b": [UInt32(1), UInt32(2)], "a": ["x": [Any]()] as [String: Any]]
        XCTAssertEqual(try text(object, pretty: true), """
            {
              "a" : {
                "x" : []
              },
              "b" : [
                1,
                2
              ]
            }
            """)
    }

    func testStringsEscapeWhatJSONRequiresOnly() throws {
        let value = "say \"hi\" \\ /path/ é\n\t\r\u{8}\u{c}\u{1}"
        let written = try text([value])
        XCTAssertEqual(written, #"["say \"hi\" \\ /path/ é\n\t\r\b\f\u0001"]"#)
        // A JSON reader gets the same string back.
        let read = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String]
        XCTAssertEqual(read, [value])
    }

    func testScalarsOfEveryKindTheCommandsUse() throws {
        let values: [Any] = [UInt8(1), UInt16(2), UInt32(3), UInt64.max, Int(-4), Int32(-5), false, "s", Optional<String>.none as Any]
        XCTAssertEqual(try text(values), #"[1,2,3,18446744073709551615,-4,-5,false,"s",null]"#)
    }

    func testAValueWithoutAJSONFormIsAnErrorNamingItsType() {
        struct Opaque {}
        XCTAssertThrowsError(try text(["key": Opaque()])) { error in
            XCTAssertTrue("\(error)".contains("Opaque"), "\(error)")
        }
        XCTAssertThrowsError(try text([Double.nan])) { error in
            XCTAssertTrue("\(error)".contains("nan"), "\(error)")
        }
    }

    func testNumbersInKeysSortAsNumbers() {
        let keys = ["virtual/mtty10", "virtual/mtty2", "virtual/mtty1/10", "virtual/mtty1/9", "pci/0000:6a:01.0", "pci/0000:3b:00.0"]
        XCTAssertEqual(keys.sorted(by: JSONKeyOrder.precedes),
                       ["pci/0000:3b:00.0", "pci/0000:6a:01.0", "virtual/mtty1/9", "virtual/mtty1/10", "virtual/mtty2", "virtual/mtty10"])
    }

    func testCasePunctuationAndTiesOrderAsDocumented() {
        // Letters ignore case; punctuation before digits before letters;
        // keys equal by those rules fall back to their bytes.
        XCTAssertEqual(["b", "A", "a", "B"].sorted(by: JSONKeyOrder.precedes), ["A", "a", "B", "b"])
        XCTAssertEqual(["x1", "xa", "x-", "x:"].sorted(by: JSONKeyOrder.precedes), ["x-", "x:", "x1", "xa"])
        XCTAssertEqual(["dev-node", "devs", "dev"].sorted(by: JSONKeyOrder.precedes), ["dev", "dev-node", "devs"])
        XCTAssertEqual(["1", "01", "001"].sorted(by: JSONKeyOrder.precedes), ["001", "01", "1"])
    }

    func testTheOrderIsTotal() {
        // Every pair of distinct keys is ordered one way only, and a key
        // never precedes itself: a sort's result does not depend on the
        // dictionary's order.
        let keys = ["", "0", "00", "1", "10", "9", "a", "A", "a0", "a00", "a1", "-", ":", "é", "E", "x-1", "x1", "X1"]
        for a in keys {
            XCTAssertFalse(JSONKeyOrder.precedes(a, a), a)
            for b in keys where a != b {
                XCTAssertNotEqual(JSONKeyOrder.precedes(a, b), JSONKeyOrder.precedes(b, a), "\(a) and \(b)")
            }
        }
    }
}
