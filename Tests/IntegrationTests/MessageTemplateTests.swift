import XCTest
@testable import Subdev
import Netlink
import SubdevUAPI

/// A dump's or a batch's subdevice whose message is the last one's but
/// for its own numbers is decoded from that one's bytes: it must come out
/// as decoding it in full does, whatever differs.
final class MessageTemplateTests: XCTestCase {
    /// What a subdevice's message carries that a test varies.
    private struct Fields {
        var parent = "mtty"
        var index: UInt32 = 0
        var name: String?
        var admin: UInt8 = 1
        var oper: UInt8 = 1
        var vfio: UInt32 = 10
        var pasid: UInt32?
        var devNode: String?
        var sysfsPath: String?
        var mode: UInt16 = 0o600
    }

    /// The message of a subdevice of `fields.parent`, as the model sends it.
    private func message(_ fields: Fields) -> NetlinkMessage {
        var out = AttributeEncoder()
        out.put(SubdevDevAttr.busName, "virtual")
        out.put(SubdevDevAttr.devName, fields.parent)
        out.put(SubdevDevAttr.index, fields.index)
        if let name = fields.name { out.put(SubdevDevAttr.name, name) }
        out.put(SubdevDevAttr.type, "mtty-1")
        out.put(SubdevDevAttr.adminState, fields.admin)
        out.put(SubdevDevAttr.operState, fields.oper)
        out.nest(SubdevDevAttr.param) { nest in
            nest.put(SubdevParamAttr.name, "baud")
            nest.put(SubdevParamAttr.valueInt, UInt64(9600))
        }
        out.nest(SubdevDevAttr.vfio) { nest in
            nest.put(SubdevVfioAttr.index, fields.vfio)
            nest.put(SubdevVfioAttr.devNode, fields.devNode ?? "/dev/vfio/devices/vfio\(fields.vfio)")
            nest.put(SubdevVfioAttr.sysfsPath, fields.sysfsPath ?? "/sys/devices/virtual/mtty/\(fields.parent)/subdev.\(fields.index)")
            nest.put(SubdevVfioAttr.iommuGroup, UInt32(5))
            if let pasid = fields.pasid { nest.put(SubdevVfioAttr.pasid, pasid) }
        }
        out.put(SubdevDevAttr.nodeUid, UInt32(0))
        out.put(SubdevDevAttr.nodeGid, UInt32(0))
        out.put(SubdevDevAttr.nodeMode, fields.mode)
        out.nest(SubdevDevAttr.aerStats) { nest in nest.put(SubdevAerStatsAttr.correctable, UInt64(0)) }
        return GenericMessage(family: 0x1D, command: SubdevCommand.devGet.rawValue, version: 1, attributes: out.bytes).netlinkMessage
    }

    func testEverySubdeviceIsWhatDecodingItInFullGives() throws {
        var run: [(what: String, fields: Fields)] = []
        func add(_ what: String, _ change: (inout Fields) -> Void) {
            var next = run.last?.fields ?? Fields()
            change(&next)
            run.append((what, next))
        }
        add("first") { _ in }
        add("second, alike") { $0.index = 1; $0.vfio = 11 }
        add("third") { $0.index = 2; $0.vfio = 12 }
        add("states down") { $0.index = 3; $0.vfio = 13; $0.admin = 0; $0.oper = 0 }
        add("an index of two digits") { $0.index = 10; $0.vfio = 14 }
        add("alike again") { $0.index = 11; $0.vfio = 15 }
        add("next") { $0.index = 12; $0.vfio = 16 }
        add("a vfioN of three digits") { $0.index = 13; $0.vfio = 100 }
        add("next to it") { $0.index = 14; $0.vfio = 101 }
        add("a PASID") { $0.index = 18; $0.vfio = 103; $0.pasid = 7 }
        add("alike, with a PASID") { $0.index = 19; $0.vfio = 104; $0.pasid = 8 }
        add("another PASID") { $0.index = 20; $0.vfio = 105; $0.pasid = 9 }
        add("another node mode") { $0.index = 21; $0.vfio = 106; $0.mode = 0o660 }
        add("alike in that mode") { $0.index = 22; $0.vfio = 107 }
        add("named") { $0.index = 23; $0.vfio = 108; $0.name = "console" }
        add("unnamed") { $0.index = 24; $0.vfio = 109; $0.name = nil }
        // As long as the template's, but not a number the path would end in.
        add("a node number with a leading zero") { $0.index = 25; $0.vfio = 17; $0.devNode = "/dev/vfio/devices/vfio017" }
        add("a node number not all digits") { $0.index = 26; $0.vfio = 18; $0.devNode = "/dev/vfio/devices/vfio1x8" }
        add("another parent") { $0.parent = "mtty2"; $0.index = 0; $0.vfio = 110; $0.devNode = nil }
        add("its next") { $0.index = 1; $0.vfio = 111 }
        add("a sysfs path without a number") { $0.index = 2; $0.vfio = 112; $0.sysfsPath = "/sys/devices/virtual/mtty/mtty2/subdev" }
        add("alike, without one") { $0.index = 3; $0.vfio = 113 }
        add("and the next") { $0.index = 4; $0.vfio = 114 }

        var memo = DeviceMemo(remembering: true)
        var fromTemplate: [String] = []
        for (what, fields) in run {
            let message = message(fields)
            let alone = try ObjectDecoding.device(try GenericMessage.attributes(of: message))
            if let template = memo.template,
               message.payloadSlice.withUnsafeBytes({ template.decode(UnsafeRawBufferPointer(rebasing: $0[GenericMessage.headerSize...])) }) != nil {
                fromTemplate.append(what)
            }
            XCTAssertEqual(try ObjectDecoding.device(message, memo: &memo), alone, what)
        }
        // Else the comparisons above would say nothing of templates.
        XCTAssertEqual(fromTemplate, ["third", "states down", "alike again", "next", "next to it", "alike, with a PASID",
                                      "another PASID", "unnamed", "and the next"])
    }

    /// A dump with no run gets no template: each message is decoded in
    /// full, and none is taken for another's.
    func testARoundRobinOverParentsMakesNoTemplate() throws {
        var memo = DeviceMemo(remembering: true)
        for index in UInt32(0)..<20 {
            var fields = Fields()
            fields.parent = "mtty\(index % 4)"
            fields.index = index / 4
            fields.vfio = index
            let message = message(fields)
            XCTAssertEqual(try ObjectDecoding.device(message, memo: &memo), try ObjectDecoding.device(try GenericMessage.attributes(of: message)))
        }
        XCTAssertNil(memo.template)
    }

    /// `createDevices` keeps a memo per parent from batch to batch: each
    /// subdevice still comes out as decoding it in full gives, whatever
    /// the batches before left in the memos, and the memos hold at most
    /// `ParentMemos.limit` parents.
    func testMemosKeptFromBatchToBatchDecodeAsInFullAndStayBounded() throws {
        var memos = ParentMemos()
        for batch in UInt32(0)..<3 {
            for position in UInt32(0)..<40 {
                var fields = Fields()
                fields.parent = "mtty\(position % 8)"
                fields.index = position / 8
                fields.vfio = batch * 1_000 + position
                fields.admin = UInt8(batch % 2)
                if batch == 2, position % 5 == 0 { fields.name = "named\(position)" }
                let message = message(fields)
                XCTAssertEqual(try memos.device(message, of: ParentHandle(bus: "virtual", name: fields.parent)),
                               try ObjectDecoding.device(try GenericMessage.attributes(of: message)), "batch \(batch), \(position)")
            }
        }
        XCTAssertEqual(memos.count, 8)
        for parent in 0..<(ParentMemos.limit + 10) {
            var fields = Fields()
            fields.parent = "card\(parent)"
            let message = message(fields)
            XCTAssertEqual(try memos.device(message, of: ParentHandle(bus: "virtual", name: fields.parent)).parent.name, fields.parent)
            XCTAssertLessThanOrEqual(memos.count, ParentMemos.limit)
        }
    }
}
