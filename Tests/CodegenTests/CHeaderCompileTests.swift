import Foundation
import SubdevCodegen
import SubdevUAPI
import XCTest

/// The generated C header compiles warning-free and agrees with the Swift uAPI.
final class CHeaderCompileTests: XCTestCase {
    func testSubdevHeaderCompilesAndMatchesSwift() throws {
        let files = try generateAll(specYAML: try TestSupport.specText())
        let header = try XCTUnwrap(files.first { $0.path == "include/uapi/linux/subdev.h" })

        // Every number the Swift uAPI holds, asserted at compile time in C.
        var asserts: [String] = []
        func expect(_ cName: String, _ value: some BinaryInteger) {
            asserts.append("_Static_assert(\(cName) == \(value), \"\(cName)\");")
        }
        func upper(_ name: String) -> String {
            name.uppercased().replacingOccurrences(of: "-", with: "_")
        }
        expect("SUBDEV_FAMILY_VERSION", subdevFamilyVersion)
        expect("SUBDEV_NAME_LEN", SubdevConstant.nameLen)
        expect("SUBDEV_STRING_VALUE_LEN", SubdevConstant.stringValueLen)
        for value in SubdevAdminState.allCases { expect("SUBDEV_ADMIN_STATE_" + upper(value.name), value.rawValue) }
        for value in SubdevOperState.allCases { expect("SUBDEV_OPER_STATE_" + upper(value.name), value.rawValue) }
        for value in SubdevParamKind.allCases { expect("SUBDEV_PARAM_KIND_" + upper(value.name), value.rawValue) }
        for value in SubdevTypeClass.allCases { expect("SUBDEV_TYPE_CLASS_" + upper(value.name), value.rawValue) }
        for value in SubdevDisplay.allCases { expect("SUBDEV_DISPLAY_" + upper(value.name), value.rawValue) }
        for value in SubdevCounterAttr.allCases { expect("SUBDEV_A_COUNTER_" + upper(value.name), value.rawValue) }
        for value in SubdevParentAttr.allCases { expect("SUBDEV_A_PARENT_" + upper(value.name), value.rawValue) }
        for value in SubdevParamAttr.allCases { expect("SUBDEV_A_PARAM_" + upper(value.name), value.rawValue) }
        for value in SubdevTypeAttr.allCases { expect("SUBDEV_A_TYPE_" + upper(value.name), value.rawValue) }
        for value in SubdevVfioAttr.allCases { expect("SUBDEV_A_VFIO_" + upper(value.name), value.rawValue) }
        for value in SubdevDevAttr.allCases { expect("SUBDEV_A_DEV_" + upper(value.name), value.rawValue) }
        for value in SubdevCommand.allCases { expect("SUBDEV_CMD_" + upper(value.name), value.rawValue) }
        expect("SUBDEV_A_DEV_MAX", SubdevDevAttr.allCases.map(\.rawValue).max() ?? 0)
        // The param set has an attribute called max, so its maximum is renamed.
        expect("SUBDEV_A_PARAM_MAX", SubdevParamAttr.allCases.map(\.rawValue).max() ?? 0)
        expect("SUBDEV_CMD_MAX", SubdevCommand.allCases.map(\.rawValue).max() ?? 0)

        let source = """
            #include <string.h>
            #include <linux/subdev.h>

            \(asserts.joined(separator: "\n"))

            int subdev_header_probe(void);

            int subdev_header_probe(void)
            {
            \tenum subdev_admin_state state = SUBDEV_ADMIN_STATE_UP;
            \tchar name[SUBDEV_NAME_LEN + 1] = SUBDEV_FAMILY_NAME;

            \treturn (int)state + (int)strlen(name) + (int)strlen(SUBDEV_MCGRP_CONFIG) +
            \t       (int)strlen(SUBDEV_MCGRP_EVENTS);
            }

            """
        try compile(header: header, source: source)
    }

    /// Headers rendered from the kernel's own specs compile too.
    func testKernelSpecHeadersCompile() throws {
        for name in ["handshake.yaml", "drm_ras.yaml"] {
            let spec = try String(contentsOf: try TestSupport.sharedFile(name), encoding: .utf8)
            let files = try generateAll(specYAML: spec, specPath: name)
            let header = try XCTUnwrap(files.first { $0.path.hasPrefix("include/uapi/") })
            let include = String(header.path.dropFirst("include/uapi/".count))
            try compile(header: header, source: "#include <\(include)>\n\nint probe(void);\nint probe(void) { return 0; }\n")
        }
    }

    /// Writes `header` under a temporary include directory and compiles
    /// `source` against it with gcc -Wall -Wextra -Werror.
    private func compile(header: GeneratedFile, source: String) throws {
        guard let gcc = TestSupport.which("gcc") else {
            throw XCTSkip("gcc is not installed, so the generated C header cannot be compiled")
        }
        let directory = try TestSupport.temporaryDirectory(for: self)
        let headerURL = directory.appendingPathComponent(header.path)
        try FileManager.default.createDirectory(at: headerURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try header.contents.write(to: headerURL, atomically: true, encoding: .utf8)
        let sourceURL = directory.appendingPathComponent("probe.c")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let result = try TestSupport.run(gcc, [
            "-Wall", "-Wextra", "-Werror", "-I", directory.appendingPathComponent("include/uapi").path,
            "-c", sourceURL.path, "-o", directory.appendingPathComponent("probe.o").path,
        ])
        XCTAssertEqual(result.status, 0, "gcc rejected \(header.path):\n\(result.output)")
        XCTAssertEqual(result.output, "", "gcc said something about \(header.path)")
    }
}
