import Foundation
import Netlink
import Subdev
import SubdevUAPI
import XCTest

/// A requester that reads a dump slowly, with a small receive buffer,
/// loses none of it: the kernel makes a dump's next part only when there
/// is room for it, and the model keeps the rest until there is. Meanwhile
/// it serves everyone else.
final class SlowReaderTests: XCTestCase {
    func testASlowReaderGetsTheWholeDumpAndOthersAreServedMeanwhile() async throws {
        // A serial card with room for a dump of several datagrams.
        let hardware = try temporaryDirectory(for: self) + "/wide.yaml"
        try "parents:\n  - bus: virtual\n    name: wide\n    driver: mtty\n    iommu-group: 0\n    config:\n      ports: 400\n"
            .write(toFile: hardware, atomically: true, encoding: .utf8)
        let model = try ModelProcess.start(arguments: ["--hardware", hardware, "--no-sysfs"])
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let wide = ParentHandle(bus: "virtual", name: "wide")
        for outcome in try await client.createDevices((0..<400).map { _ in NewDevice(parent: wide, type: "mtty-1") }) {
            _ = try outcome.get()
        }
        let expected = try await client.devices().count
        XCTAssertEqual(expected, 400)

        let slow = try NetlinkSocket(protocol: .generic)
        try slow.setBufferSizes(receive: 4096, send: 65536)
        try slow.setReceiveTimeout(5)
        let request = GenericMessage(family: client.family.id, command: SubdevCommand.devGet.rawValue,
                                     version: UInt8(client.family.version), flags: [.request, .dump], sequence: 9).encoded()
        try slow.send(request, toPort: model.port)
        // Far longer than the moment a blocked send may wait: a model that
        // dropped a part it could not send at once would have dropped it by now.
        for _ in 0..<4 {
            try await Task.sleep(nanoseconds: 250_000_000)
            // Others are served while the dump waits.
            let parents = try await client.parents()
            XCTAssertEqual(parents.count, 1)
        }

        var devices = 0, datagrams = 0
        reading: while true {
            let datagram = try slow.receive()
            datagrams += 1
            for message in try NetlinkMessage.parse(datagram.bytes) where message.header.sequence == 9 {
                if message.header.type == MessageType.done { break reading }
                XCTAssertNotEqual(message.header.type, MessageType.error, "the dump failed")
                devices += 1
            }
        }
        XCTAssertGreaterThan(datagrams, 1, "the dump fitted in one datagram, so nothing had to wait")
        XCTAssertEqual(devices, expected, "parts of the dump were lost")
    }
}
