import Foundation
import XCTest

/// The fuzz targets' seed corpora, replayed by their plain builds: through
/// the model's request path (`subdev-fuzz`: every input is answered with
/// well-formed netlink, and the model survives them all), and into the
/// client as its peer's answers (`subdev-fuzz-client`: the client survives
/// them, among them inputs that once trapped it).
final class FuzzCorpusTests: XCTestCase {
    func testSeedCorpusIsAnsweredWholly() throws {
        try assertReplayed("model-requests", by: "subdev-fuzz", atLeast: 20, saying: "all answered")
    }

    func testClientSeedCorpusIsSurvived() throws {
        // At least a seed per client call (ClientRepliesFuzz.Call).
        try assertReplayed("client-replies", by: "subdev-fuzz-client", atLeast: 16, saying: "the client survived them all")
    }

    /// Replays `Fuzz/corpus/CORPUS` with the plain build of `product`,
    /// which must take every file and end with `saying`.
    func assertReplayed(_ corpus: String, by product: String, atLeast minimum: Int, saying verdict: String,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = OperatorToolTests.packageRoot.appendingPathComponent("Fuzz/corpus/\(corpus)").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertGreaterThanOrEqual(seeds.count, minimum, "too few seeds in \(corpus)", file: file, line: line)
        let result = try runProduct(product, [directory])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "\(product): replayed \(seeds.count) inputs, \(verdict)\n", file: file, line: line)
    }
}
