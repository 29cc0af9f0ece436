import Foundation
import XCTest

/// The fuzz targets' seed corpora, replayed by their plain builds: through
/// the model's request path (`subdev-fuzz`: every input is answered with
/// well-formed netlink, and the model survives them all), and into the
/// client as its peer's answers (`subdev-fuzz-client`: the client survives
/// them, among them inputs that once trapped it).
final class FuzzCorpusTests: XCTestCase {
    func testSeedCorpusIsAnsweredWholly() throws {
        let corpus = OperatorToolTests.packageRoot.appendingPathComponent("Fuzz/corpus/model-requests").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus)
        XCTAssertGreaterThanOrEqual(seeds.count, 20, "a seed per operation at least")
        let result = try runProduct("subdev-fuzz", [corpus])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "subdev-fuzz: replayed \(seeds.count) inputs, all answered\n")
    }

    func testClientSeedCorpusIsSurvived() throws {
        let corpus = OperatorToolTests.packageRoot.appendingPathComponent("Fuzz/corpus/client-replies").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus)
        XCTAssertGreaterThanOrEqual(seeds.count, 16, "a seed per client call (ClientRepliesFuzz.Call) at least")
        let result = try runProduct("subdev-fuzz-client", [corpus])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "subdev-fuzz-client: replayed \(seeds.count) inputs, the client survived them all\n")
    }
}
