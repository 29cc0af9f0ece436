import XCTest
import SubdevPlugin
import SubdevUAPI

/// The plugin SDK spells its enums as the spec does; the host maps them to
/// uAPI values by name, so every SDK case must have a uAPI twin.
final class UAPIMappingTests: XCTestCase {
    func testEverySDKEnumCaseHasAUAPIValue() {
        for kind in ParamKind.allCases { XCTAssertNotNil(SubdevParamKind(name: kind.rawValue), kind.rawValue) }
        for typeClass in TypeClass.allCases { XCTAssertNotNil(SubdevTypeClass(name: typeClass.rawValue), typeClass.rawValue) }
        for display in Display.allCases { XCTAssertNotNil(SubdevDisplay(name: display.rawValue), display.rawValue) }
        for registration in Registration.allCases { XCTAssertNotNil(SubdevRegistration(name: registration.rawValue), registration.rawValue) }
        XCTAssertEqual(ParamKind.allCases.count, SubdevParamKind.allCases.count)
        XCTAssertEqual(TypeClass.allCases.count, SubdevTypeClass.allCases.count)
        XCTAssertEqual(Display.allCases.count, SubdevDisplay.allCases.count)
    }
}
