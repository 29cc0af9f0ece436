import Foundation
import Subdev
import XCTest

/// After many subdevices come and go, `subdevd` gives the memory back
/// once it rests, as a kernel frees each object as it goes: measured as
/// the resident size of the real process, over real sockets.
final class HeapTrimTests: XCTestCase {
    func testTheModelShrinksBackAfterItsSubdevicesAreDeleted() async throws {
        // A thousand serial cards, made subdevices round-robin as P2 makes
        // them: each card's arrays small, spread through the heap.
        let parents = 1_000, perParent = 20
        let hardware = try temporaryDirectory(for: self) + "/cards.yaml"
        try ("parents:\n" + (0..<parents).map {
            "  - bus: virtual\n    name: card\($0)\n    driver: mtty\n    iommu-group: 0\n    config:\n      ports: 32\n"
        }.joined()).write(toFile: hardware, atomically: true, encoding: .utf8)
        let model = try ModelProcess.start(arguments: ["--hardware", hardware, "--no-sysfs", "--no-device-nodes"])
        defer { model.stop() }
        let pid = model.process.processIdentifier
        let client = try await SubdevClient.connect(port: model.port)
        let atStart = try residentKiB(pid)

        let requests = (0..<perParent).flatMap { _ in
            (0..<parents).map { NewDevice(parent: ParentHandle(bus: "virtual", name: "card\($0)"), type: "mtty-1") }
        }
        let made = try await client.createDevices(requests).map { try $0.get() }
        let atPeak = try residentKiB(pid)
        let grown = atPeak - atStart
        XCTAssertGreaterThan(grown, 1_024, "\(made.count) subdevices took less than 1 MiB: nothing to give back")
        for outcome in try await client.deleteDevices(made.map(\.handle)) { try outcome.get() }

        // glibc keeps this freed memory for the process (a model that
        // does not trim stays at its peak: checked), and the model gives
        // it back once it has rested for a second. Nothing is asked
        // meanwhile: glibc sometimes trims by itself in a later free.
        var rested = try residentKiB(pid)
        let deadline = Date().addingTimeInterval(10)
        while rested > atStart + grown / 4, Date() < deadline {
            try await Task.sleep(nanoseconds: 200_000_000)
            rested = try residentKiB(pid)
        }
        XCTAssertLessThanOrEqual(rested, atStart + grown / 4,
                                 "resident \(atStart) KiB at start, \(atPeak) with \(made.count) subdevices, still \(rested) after they all went")
    }

    /// `VmRSS` of process `pid`, in KiB.
    private func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw XCTSkip("no VmRSS in /proc/\(pid)/status")
        }
        return kib
    }
}
