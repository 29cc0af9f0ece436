import XCTest
import SubdevPlugin
import SubdevPlugins
@testable import SubdevModel

/// A request's parameters are completed in schema order with defaults;
/// a request that gives none takes the list the type made once, which
/// must be what completing an empty request the long way gives.
final class ParamCompletionTests: XCTestCase {
    private func schema(_ name: String, default value: ParamValue? = nil, optional: Bool = false) -> ParamSchema {
        ParamSchema(name: name, kind: .u32, min: 0, max: 100, defaultValue: value, optional: optional, doc: name)
    }

    private func type(_ params: [ParamSchema]) -> TypeSpec {
        TypeSpec(name: "t", typeClass: .wq, description: "test", params: params)
    }

    private func pairs(_ values: [(name: String, value: ParamValue)]?) -> [String]? {
        values?.map { "\($0.name)=\($0.value)" }
    }

    func testNoneGivenTakesEachDefaultInSchemaOrderAndLeavesOutOptionals() throws {
        let made = type([schema("b", default: .int(2)), schema("opt", optional: true), schema("a", default: .int(1)),
                         schema("opt-set", default: .int(7), optional: true)])
        XCTAssertEqual(pairs(made.valuesWhenNoneGiven), ["b=2", "a=1", "opt-set=7"])
        XCTAssertEqual(pairs(try Machine.complete([], for: made)), pairs(made.valuesWhenNoneGiven))
        XCTAssertEqual(pairs(type([]).valuesWhenNoneGiven), [])
    }

    func testARequiredParameterMeansNoListAndAnErrorNamingIt() {
        let made = type([schema("a", default: .int(1)), schema("needed")])
        XCTAssertNil(made.valuesWhenNoneGiven)
        XCTAssertThrowsError(try Machine.complete([], for: made)) { error in
            XCTAssertTrue("\(error)".contains("needs parameter needed"), "\(error)")
        }
    }

    func testGivenValuesStillComeInSchemaOrder() throws {
        let made = type([schema("b", default: .int(2)), schema("a", default: .int(1))])
        let completed = try Machine.complete([RequestParam(name: "a", value: .int(5), offset: 0)], for: made)
        XCTAssertEqual(pairs(completed), ["b=2", "a=5"])
    }

    /// Every type the built-in plugins offer on the embedded machine: its
    /// list is what the rule gives, worked out here from its schemas.
    func testEveryBuiltInTypeFollowsTheRule() throws {
        let machine = try HardwareFile.load(HardwareFile.embeddedDefault(), plugins: .builtIn)
        var checked = 0
        for parent in machine.parents {
            for type in parent.spec.types {
                var expected: [String]? = []
                for param in type.params {
                    if let value = param.defaultValue {
                        expected?.append("\(param.name)=\(value)")
                    } else if !param.optional {
                        expected = nil
                        break
                    }
                }
                XCTAssertEqual(pairs(type.valuesWhenNoneGiven), expected, "\(parent.handle) \(type.name)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 5)
    }
}
