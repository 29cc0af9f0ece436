import ArgumentParser
import Subdev

struct ParentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parent", abstract: "Parents: the devices subdevices are carved out of.",
        subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one parent, or all: vendor, driver, types, shared counters.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME (pci/0000:6a:01.0); all when omitted.", valueName: "parent"))
        var parent: String?

        func run() async throws {
            try await reportingErrors {
                let client = try await global.connect()
                let parents: [ParentInfo]
                if let parent {
                    parents = [try await client.parent(try parseParent(parent))]
                } else {
                    parents = try await client.parents()
                }
                if global.json {
                    global.output.printListing("parent", parents, key: \.handle.description, value: Rendering.json)
                } else {
                    global.output.printLines(of: parents, Rendering.text)
                }
            }
        }
    }
}

func parseParent(_ text: String) throws -> ParentHandle {
    guard let handle = ParentHandle(parsing: text) else {
        throw CLIError("\(text) is not a parent handle: give BUS/NAME, such as pci/0000:6a:01.0")
    }
    return handle
}

func parseDevice(_ text: String) throws -> DeviceHandle {
    guard let handle = DeviceHandle(parsing: text) else {
        throw CLIError("\(text) is not a subdevice handle: give PARENT/INDEX, such as pci/0000:6a:01.0/3, or a name")
    }
    return handle
}

/// The value after keyword `word` (`deadline 500`): milliseconds, at least 1.
func popMilliseconds(after word: String, from rest: inout ArraySlice<String>) throws -> UInt32 {
    guard let text = rest.popFirst(), let ms = UInt32(text), ms > 0 else {
        throw CLIError("\(word) needs a number of milliseconds, at least 1")
    }
    return ms
}
