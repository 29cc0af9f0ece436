import ArgumentParser
import Foundation
import Subdev

extension DevCommand {
    struct Compat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a subdevice can migrate to another, by its type's plugin rules, with every reason.",
            usage: "subdev dev compat SRC DST",
            discussion: """
            SRC and DST are each a live subdevice (PARENT/INDEX or name) or a JSON file \
            (a path ending in .json, or - for standard input) as 'subdev -j dev show DEV' \
            writes it, on this host or another. The plugin of DST's parent judges (SRC's, \
            when DST's parent is not here). A DST that is only described is also checked \
            for room on its parent. Exit status: 0 compatible, 2 not compatible, 1 error.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The source: a subdevice, or a JSON description.", valueName: "src"))
        var source: String

        @Argument(help: ArgumentHelp("The destination: a subdevice, or a JSON description.", valueName: "dst"))
        var destination: String

        func run() async throws {
            try await reportingErrors {
                let from = try endpoint(source), to = try endpoint(destination)
                let verdict = try await global.connect().compatibility(from: from, to: to)
                if global.json {
                    global.output.printJSON(["source": source, "destination": destination,
                                                 "compatible": verdict.compatible, "reasons": verdict.reasons])
                } else {
                    global.output.printLines([verdict.compatible ? "compatible" : "not compatible"] + verdict.reasons.map { "  \($0)" })
                }
                if !verdict.compatible { throw ExitCode(2) }
            }
        }

        func endpoint(_ text: String) throws -> MigrationEndpoint {
            guard text == "-" || text.hasSuffix(".json") else { return .live(try parseDevice(text)) }
            let data: Data
            if text == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: text) else { throw CLIError("\(text) cannot be read") }
                data = contents
            }
            return .described(try DescriptionFile.parse(data, name: text))
        }
    }
}

/// Reads a subdevice description from `subdev -j dev show` output: one
/// `{"dev": {"PARENT/INDEX": {...}}}` entry, or the inner object with a
/// "parent" key.
enum DescriptionFile {
    static func parse(_ data: Data, name: String) throws -> DeviceDescription {
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CLIError("\(name) is not a JSON object")
        }
        let key: String, object: [String: Any]
        if let devices = top["dev"] as? [String: Any] {
            guard devices.count == 1, let only = devices.first, let inner = only.value as? [String: Any] else {
                throw CLIError("\(name) describes \(devices.count) subdevices; give one (subdev -j dev show DEV)")
            }
            guard let slash = only.key.lastIndex(of: "/") else { throw CLIError("\(name): \(only.key) is not PARENT/INDEX") }
            key = String(only.key[..<slash])
            object = inner
        } else {
            guard let parent = top["parent"] as? String else { throw CLIError("\(name) has neither \"dev\" nor \"parent\"") }
            key = parent
            object = top
        }
        guard let parent = ParentHandle(parsing: key) else { throw CLIError("\(name): parent \(key) is not BUS/NAME") }
        guard let type = object["type"] as? String else { throw CLIError("\(name) has no \"type\"") }
        var params: [String: ParamValue] = [:]
        for (param, value) in object["params"] as? [String: Any] ?? [:] {
            if let text = value as? String {
                params[param] = .string(text)
            } else if let number = value as? NSNumber, number.doubleValue >= 0,
                      number.doubleValue == number.doubleValue.rounded(), number.doubleValue < 1.8e19 {
                // true and false read as 1 and 0, as the family carries bools.
                params[param] = .int(number.uint64Value)
            } else if let flag = value as? Bool {
                params[param] = .int(flag ? 1 : 0)
            } else {
                throw CLIError("\(name): parameter \(param) is \(value), not a whole number from 0, a bool or a string")
            }
        }
        return DeviceDescription(parent: parent, type: type, params: params, migrationCompat: object["migration-compat"] as? String)
    }
}
