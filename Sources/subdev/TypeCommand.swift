import ArgumentParser
import Subdev

struct TypeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "type", abstract: "Types of subdevice a parent offers, with their parameters and capacity.",
        subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show types: class, parameters, and how many more fit now.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME; all parents when omitted.", valueName: "parent"))
        var parent: String?

        @Argument(help: ArgumentHelp("One type of that parent; all its types when omitted.", valueName: "type"))
        var type: String?

        func run() async throws {
            try await reportingErrors {
                let client = try await global.connect()
                let types: [TypeInfo]
                switch (parent, type) {
                case (let parent?, let type?): types = [try await client.type(type, of: try parseParent(parent))]
                case (let parent?, nil): types = try await client.types(of: try parseParent(parent))
                default: types = try await client.types()
                }
                if global.json {
                    var byParent: [String: JSONObject] = [:]
                    for type in types { byParent[type.parent.description, default: JSONObject()][type.name] = Rendering.json(type) }
                    global.output.printJSON(["type": byParent])
                } else {
                    global.output.printLines(of: types, Rendering.text)
                }
            }
        }
    }
}
