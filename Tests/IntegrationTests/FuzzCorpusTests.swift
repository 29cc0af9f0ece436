import Foundation
import XCTest

/// The fuzz target's seed corpus, replayed through the model's request
/// path by the plain build of `subdev-fuzz`: every input is answered with
/// well-formed netlink, and the model survives them all.
final class FuzzCorpusTests: XCTestCase {
    func testSeedCorpusIsAnsweredWholly() throws {
        let corpus = OperatorToolTests.packageRoot.appendingPathComponent("Fuzz/corpus/model-requests").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus)
        XCTAssertGreaterThanOrEqual(seeds.count, 20, "a seed per operation at least")
        let result = try runProduct("subdev-fuzz", [corpus])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "subdev-fuzz: replayed \(seeds.count) inputs, all answered\n")
    }
}
