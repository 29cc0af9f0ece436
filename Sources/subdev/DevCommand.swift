import ArgumentParser
import Subdev

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Subdevices: create, show, change, delete.",
        subcommands: [Add.self, Show.self, Set.self, Del.self], defaultSubcommand: Show.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a subdevice in one step; its resources are reserved now or it is not created.",
            usage: "subdev dev add PARENT type TYPE [name NAME] [state up|down] [node-uid UID] [node-gid GID] [node-mode MODE] [PARAM VALUE]...")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME.", valueName: "parent"))
        var parent: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
            "type TYPE, then optionally name NAME (unique), state up|down (default up), node-uid, node-gid and node-mode (octal) of the device node (default 0, 0, 0600), and PARAM VALUE pairs as 'subdev type show' lists them.",
            valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                let parent = try parseParent(parent)
                let parsed = try DeviceWords(words, keywords: ["type", "name", "state", "node-uid", "node-gid", "node-mode"])
                guard let type = parsed.type else { throw CLIError("dev add needs type TYPE") }
                let client = try await global.connect()
                var params: [(String, ParamValue)] = []
                if !parsed.params.isEmpty {
                    let schema = try await client.type(type, of: parent).params
                    params = try ParamParsing.parse(parsed.params, schema: schema, type: type)
                }
                let device = try await client.createDevice(parent: parent, type: type, name: parsed.name,
                                                           adminState: parsed.state, params: params, node: parsed.node)
                try show([device], global: global)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one subdevice, or all: type, state, parameters, VFIO device.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A subdevice (PARENT/INDEX or name), or a parent (BUS/NAME) for its subdevices; all when omitted.", valueName: "dev"))
        var device: String?

        func run() async throws {
            try await reportingErrors {
                let client = try await global.connect()
                let devices: [DeviceInfo]
                if let device {
                    if let parent = ParentHandle(parsing: device) {
                        devices = try await client.devices(of: parent)
                    } else {
                        devices = [try await client.device(try parseDevice(device))]
                    }
                } else {
                    devices = try await client.devices()
                }
                try show(devices, global: global)
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a subdevice's state or its mutable parameters, all or nothing.",
            usage: "subdev dev set DEV [state up|down] [PARAM VALUE]...")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The subdevice, PARENT/INDEX or name.", valueName: "dev"))
        var device: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("state up|down, then PARAM VALUE pairs.", valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                let handle = try parseDevice(device)
                let parsed = try DeviceWords(words, keywords: ["state"])
                guard parsed.state != nil || !parsed.params.isEmpty else {
                    throw CLIError("dev set needs state up|down or PARAM VALUE")
                }
                let client = try await global.connect()
                var params: [(String, ParamValue)] = []
                if !parsed.params.isEmpty {
                    let current = try await client.device(handle)
                    let schema = try await client.type(current.type, of: current.parent).params
                    params = try ParamParsing.parse(parsed.params, schema: schema, type: current.type)
                }
                try await client.setDevice(handle, adminState: parsed.state, params: params)
            }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subdevice and return its resources to the parent.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The subdevice, PARENT/INDEX or name.", valueName: "dev"))
        var device: String

        func run() async throws {
            try await reportingErrors {
                let handle = try parseDevice(device)
                let client = try await global.connect()
                try await client.deleteDevice(handle)
            }
        }
    }
}

/// Prints subdevices as text, or as `{"dev": {"PARENT/INDEX": {...}}}`.
func show(_ devices: [DeviceInfo], global: GlobalOptions) throws {
    if global.json {
        try global.output.printJSON(["dev": Dictionary(uniqueKeysWithValues: devices.map { (Rendering.key($0), Rendering.json($0)) })])
    } else {
        global.output.printLines(devices.flatMap(Rendering.text))
    }
}
