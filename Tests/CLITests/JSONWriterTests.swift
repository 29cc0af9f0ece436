import Foundation
import XCTest
@testable import subdev

final class JSONWriterTests: XCTestCase {
    private func text(_ value: JSONValue, pretty: Bool = false) -> String {
        String(decoding: JSONWriter.text(value, pretty: pretty), as: UTF8.self)
    }

    func testCompactOutputHasNoSpacesAndSortsKeys() {
        let object: JSONObject = ["type": "mtty-1", "index": UInt32(3), "holders": [JSONValue](), "up": true,
                                  "params": ["baud": UInt64(9600), "label": ""] as JSONObject, "node": JSONObject()]
        XCTAssertEqual(text(.object(object)),
                       #"{"holders":[],"index":3,"node":{},"params":{"baud":9600,"label":""},"type":"mtty-1","up":true}"#)
    }

    func testPrettyOutputIndentsByTwoAndWritesEmptyContainersShort() {
        let object: JSONObject = ["b": [UInt32(1), UInt32(2)], "a": ["x": [JSONValue]()] as JSONObject]
        XCTAssertEqual(text(.object(object), pretty: true), """
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
        let written = text([value].json)
        XCTAssertEqual(written, #"["say \"hi\" \\ /path/ é\n\t\r\b\f\u0001"]"#)
        // A JSON reader gets the same string back.
        let read = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String]
        XCTAssertEqual(read, [value])
    }

    func testScalarsOfEveryKindTheCommandsUse() {
        let values: [any JSONRepresentable] = [UInt8(1), UInt16(2), UInt32(3), UInt64.max, Int(-4), Int32(-5), Int64.min,
                                               UInt64(0), false, "s", String?.none, UInt32?(7)]
        XCTAssertEqual(text(.array(values.map(\.json))),
                       #"[1,2,3,18446744073709551615,-4,-5,-9223372036854775808,0,false,"s",null,7]"#)
    }

    func testAKeySetTwiceIsWrittenOnceWithItsLastValue() {
        // A listing built from what the model sent may repeat a handle: the
        // output keeps one member, as a dictionary would, and does not trap.
        var object: JSONObject = ["b": 1, "a": 2]
        object["b"] = 3
        object["c"] = "x"
        object["c"] = nil
        XCTAssertEqual(text(.object(object)), #"{"a":2,"b":3}"#)
        XCTAssertEqual(text(.object(JSONObject([("k", .unsigned(1)), ("k", .unsigned(2)), ("j", .null)]))), #"{"j":null,"k":2}"#)
        XCTAssertEqual(object["b"]?.json, .signed(3))
    }

    func testADictionaryIsAnObjectWithItsKeysInOrder() {
        let counters: [String: UInt64] = ["wq10": 1, "wq9": 2, "engines": 3]
        XCTAssertEqual(text(counters.json), #"{"engines":3,"wq9":2,"wq10":1}"#)
    }

    func testTextHandedOverInPiecesIsTheSameAsWhole() {
        let listing = JSONObject((0..<300).reversed().map { index in
            ("virtual/mtty0/\(index)", (["index": UInt32(index), "params": ["label": "a \"b\""] as JSONObject,
                                         "holders": [JSONValue]()] as JSONObject).json)
        })
        for pretty in [false, true] {
            var pieces: [[UInt8]] = []
            var writer = JSONWriter(pretty: pretty, chunk: 256) { pieces.append(Array($0)) }
            writer.write(.object(["dev": listing]), depth: 0)
            writer.finish()
            XCTAssertGreaterThan(pieces.count, 10)
            XCTAssertTrue(pieces.dropLast().allSatisfy { $0.count >= 256 && $0.count < 512 }, "\(pieces.map(\.count))")
            XCTAssertEqual(pieces.joined().count, JSONWriter.text(.object(["dev": listing]), pretty: pretty).count)
            XCTAssertEqual(Array(pieces.joined()), JSONWriter.text(.object(["dev": listing]), pretty: pretty))
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
