import XCTest
import Netlink
import SubdevPlugin
import SubdevPlugins
@testable import SubdevModel

/// A dump encodes a subdevice like the last one by copying that one's
/// bytes and writing its own numbers in: what it sends must be what
/// encoding the subdevice afresh gives, whatever differs between the two.
final class DeviceTemplateTests: XCTestCase {
    private func parent(_ name: String) throws -> Parent {
        let plugin = MttyPlugin()
        let hardware = HardwareConfig(.map([.init(key: "ports", value: HardwareConfig(.scalar("4"), path: "ports"))]), path: "")
        return Parent(bus: "virtual", name: name, iommuGroup: 7, plugin: plugin, hardware: hardware, spec: try plugin.describe(hardware))
    }

    private func device(_ index: UInt32, vfio: UInt32, params: [(name: String, value: ParamValue)], type: String = "mtty-1") -> Subdevice {
        Subdevice(parentHandle: "virtual/a", index: index, name: nil, typeName: type, adminState: .up, operState: .up,
                  params: params, allocation: Allocation(counters: ["ports": 1]), vfioIndex: vfio, pasid: nil,
                  node: NodeAccess(), ownerPID: nil)
    }

    private func fresh(_ device: Subdevice, in context: ParentEncoding, holders: [Holder]) -> [UInt8] {
        var out = AttributeEncoder()
        withUnsafePointer(to: device) { ObjectEncoding.device($0, in: context, holders: holders, into: &out) }
        return out.bytes
    }

    /// A run of subdevices, each differing from the one before in one way:
    /// numbers a template writes in, and what makes it encode in full.
    func testEveryDumpedSubdeviceIsWhatEncodingItAfreshGives() throws {
        let root = ModelRoot(path: "/run/subdev-test")
        let a = ParentEncoding(try parent("a"), root: root), b = ParentEncoding(try parent("b"), root: root)
        let params: [(name: String, value: ParamValue)] = [("baud", .int(9600)), ("parity", .string("none")), ("label", .string(""))]
        let equalButNotShared: [(name: String, value: ParamValue)] = [("baud", .int(9600)), ("parity", .string("none")), ("label", .string(""))]
        let holder = Holder(pid: 4242, uid: 1000, gid: 1000)

        var run: [(what: String, device: Subdevice, context: ParentEncoding, holders: [Holder])] = []
        func add(_ what: String, _ context: ParentEncoding = a, holders: [Holder] = [], _ change: (inout Subdevice) -> Void) {
            var next = run.last?.device ?? device(0, vfio: 3, params: params)
            change(&next)
            run.append((what, next, context, holders))
        }
        add("first") { _ in }
        add("next index and vfioN") { $0.index = 1; $0.vfioIndex = 4 }
        add("states down") { $0.index = 2; $0.vfioIndex = 5; $0.adminState = .down; $0.operState = .down }
        add("node owner and mode") { $0.index = 3; $0.vfioIndex = 6; $0.node = NodeAccess(uid: 1000, gid: 36, mode: 0o660) }
        add("error counts") {
            $0.index = 4; $0.vfioIndex = 7
            $0.aerStats.correctable = 3; $0.aerStats.nonFatal = 2; $0.aerStats.fatal = 1; $0.aerStats.resets = 1 << 40
        }
        add("index of two digits") { $0.index = 10; $0.vfioIndex = 8 }
        add("vfioN of two digits") { $0.index = 11; $0.vfioIndex = 12 }
        add("index and vfioN of more digits") { $0.index = 123_456; $0.vfioIndex = 4_000_000_000 }
        add("a name") { $0.index = 123_457; $0.name = "named" }
        add("unnamed again") { $0.index = 123_458; $0.name = nil }
        add("a PASID") { $0.index = 123_459; $0.pasid = 17 }
        add("another PASID") { $0.index = 123_460; $0.pasid = 18 }
        add("no PASID") { $0.index = 123_461; $0.pasid = nil }
        add("an owner") { $0.index = 123_462; $0.ownerPID = 99 }
        add("no owner") { $0.index = 123_463; $0.ownerPID = nil }
        add("a holder", holders: [holder]) { $0.index = 123_464 }
        add("no holder") { $0.index = 123_465 }
        add("details") { $0.index = 123_466; $0.allocation.details = [.int("wq-id", .u8, 3)] }
        add("no details") { $0.index = 123_467; $0.allocation.details = [] }
        add("equal parameters in another list") { $0.index = 123_468; $0.params = equalButNotShared }
        add("other parameters") { $0.index = 123_469; $0.params = [("baud", .int(115_200))] }
        add("the first list again") { $0.index = 123_470; $0.params = params }
        add("another type") { $0.index = 123_471; $0.typeName = "mtty-2" }
        add("a type the parent lacks") { $0.index = 123_472; $0.typeName = "gone" }
        add("another parent", b) { $0.parentHandle = "virtual/b"; $0.index = 123_473; $0.typeName = "mtty-1" }
        add("its next", b) { $0.index = 123_474; $0.vfioIndex = 4_000_000_001 }

        var template: DeviceTemplate?
        var fromTemplate: [String] = []
        for entry in run {
            var out = AttributeEncoder()
            let used = withUnsafePointer(to: entry.device) {
                DeviceDump.encode($0, in: entry.context, holders: entry.holders, template: &template, into: &out)
            }
            if used { fromTemplate.append(entry.what) }
            let sent = out.bytes, expected = fresh(entry.device, in: entry.context, holders: entry.holders)
            if sent != expected {
                let at = zip(sent, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(sent.count, expected.count)
                XCTFail("\(entry.what): \(sent.count) bytes against \(expected.count) encoded afresh, differing from byte \(at)")
            }
        }
        // Else the comparisons above would say nothing of templates.
        XCTAssertEqual(fromTemplate, ["next index and vfioN", "states down", "node owner and mode", "error counts",
                                      "unnamed again", "another PASID", "no owner", "no holder", "no details",
                                      "its next"])
    }
}
