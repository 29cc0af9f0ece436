import ArgumentParser
import Foundation
import Netlink
import Subdev
import SubdevDefinitions
import SubdevUAPI

/// Persistent definitions, as mdevctl has them: define, undefine, start,
/// stop, autostart, list --defined.
extension DevCommand {
    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a subdevice's definition, to start by name later or on its parent's appearance.",
            usage: "subdev dev define PARENT type TYPE name NAME [autostart on|off] [state up|down] [node-uid UID] [node-gid GID] [node-mode MODE] [PARAM VALUE]...",
            discussion: """
            Takes the arguments of 'dev add' and a name, which is required: it names the \
            definition and the subdevice it starts. When the parent is present its type \
            checks the parameters now; when it is not, they are stored as given and \
            checked when the definition starts. The definition is written atomically to \
            DIR/definitions/NAME.json. Nothing is created: see 'dev start' and 'autostart'.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME; it need not be present.", valueName: "parent"))
        var parent: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
            "type TYPE and name NAME, then optionally autostart on|off (default off) and the rest of 'dev add': state, node-uid, node-gid, node-mode, PARAM VALUE pairs.",
            valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                let parentHandle = try parseParent(parent)
                let parsed = try DeviceWords(words, keywords: ["type", "name", "state", "node-uid", "node-gid", "node-mode", "autostart"])
                guard let type = parsed.type else { throw CLIError("dev define needs type TYPE") }
                guard let name = parsed.name else { throw CLIError("dev define needs name NAME: it names the definition") }
                let store = definitions.store
                if (try? store.load(name)) != nil {
                    throw CLIError("a definition named \(name) exists in \(store.directory); undefine it first")
                }
                var definition = DeviceDefinition(
                    name: name, parent: parentHandle.description, type: type, state: parsed.state?.name,
                    node: parsed.node.map { DefinedNode(uid: $0.uid, gid: $0.gid, mode: "0" + String($0.mode, radix: 8)) },
                    autostart: parsed.autostart ?? false)
                definition.params = try await typedParams(parsed.params, parent: parentHandle, type: type)
                try store.save(definition)
                try printDefinitions([definition], active: nil, global: global)
            }
        }

        /// The parameters typed by the live schema; as text, with a note,
        /// when the parent is not present to say what they are.
        func typedParams(_ words: ArraySlice<String>, parent: ParentHandle, type: String) async throws -> [String: DefinedValue] {
            var params: [String: DefinedValue] = [:]
            let schema: [ParamInfo]
            do {
                schema = try await global.connect().type(type, of: parent).params
            } catch let error as NetlinkError where error.errno == ENODEV || error.errno == ECONNREFUSED || error.errno == ETIMEDOUT {
                var rest = words
                while let name = rest.popFirst() {
                    guard let value = rest.popFirst() else { throw CLIError("parameter \(name) needs a value") }
                    guard params[name] == nil else { throw CLIError("parameter \(name) is given twice") }
                    params[name] = .text(value)
                }
                let why = error.errno == ENODEV ? "\(parent) is not present" : "the family does not answer (\(error.message ?? "errno \(error.errno)"))"
                FileHandle.standardError.write(Data("Note: \(why); its type will check the parameters when the definition starts\n".utf8))
                return params
            }
            for (name, value) in try schema.values(parsing: words, type: type) {
                guard params[name] == nil else { throw CLIError("parameter \(name) is given twice") }
                params[name] = DefinedValue(value, kind: schema.first { $0.name == name }?.kind)
            }
            return params
        }
    }

    struct Undefine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a definition; a subdevice it started stays until 'dev stop' or 'dev del'.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Argument(help: ArgumentHelp("The definition's name.", valueName: "name"))
        var name: String

        func run() async throws {
            try await reportingErrors { try definitions.store.remove(name) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the subdevice a definition describes, with its name, type and parameters.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Argument(help: ArgumentHelp("The definition's name.", valueName: "name"))
        var name: String

        func run() async throws {
            try await reportingErrors {
                let definition = try definitions.store.load(name)
                let device = try await Autostarter.start(definition, with: try await global.connect())
                try show([device], global: global)
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the subdevice a definition started; the definition stays.",
            usage: "subdev dev stop NAME [force]",
            discussion: "Soft, as 'dev del' is: a held subdevice goes when its holders let go; 'force' cuts them off.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Argument(help: ArgumentHelp("The definition's name.", valueName: "name"))
        var name: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("force.", valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                var force = false
                for word in words {
                    guard word == "force" else { throw CLIError("dev stop takes force, not \(word)") }
                    force = true
                }
                let definition = try definitions.store.load(name)
                try await global.connect().deleteDevice(.name(definition.name), force: force)
            }
        }
    }

    struct Autostart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn autostart of a definition on or off: the agent creates it whenever its parent appears.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Argument(help: ArgumentHelp("The definition's name.", valueName: "name"))
        var name: String

        @Argument(help: ArgumentHelp("on or off.", valueName: "on|off"))
        var setting: String

        func run() async throws {
            try await reportingErrors {
                let store = definitions.store
                var definition = try store.load(name)
                definition.autostart = try parseSwitch(setting, for: "autostart")
                try store.save(definition)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List subdevices, or with --defined the definitions and whether each is active.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var definitions: DefinitionOptions

        @Flag(name: .long, help: "List the stored definitions instead of the live subdevices.")
        var defined = false

        func run() async throws {
            try await reportingErrors {
                guard defined else {
                    try show(try await global.connect().devices(), global: global)
                    return
                }
                let (found, problems) = definitions.store.all()
                for problem in problems { FileHandle.standardError.write(Data("Warning: \(problem)\n".utf8)) }
                // Whether each is active, when the family answers; definitions are read without it.
                var live: Swift.Set<String>?
                if let devices = try? await global.connect().devices() { live = Swift.Set(devices.compactMap(\.name)) }
                try printDefinitions(found, active: live, global: global)
            }
        }
    }
}

/// Prints definitions as text lines, or as `{"definitions": {NAME: {...}}}`;
/// `active` (the names of live subdevices) adds whether each is running.
func printDefinitions(_ definitions: [DeviceDefinition], active: Set<String>?, global: GlobalOptions) throws {
    if global.json {
        var all = JSONObject()
        for definition in definitions {
            var object: JSONObject = ["parent": definition.parent, "type": definition.type, "autostart": definition.autostart,
                                         "params": definition.params.mapValues(jsonValue)]
            if let state = definition.state { object["state"] = state }
            if let node = definition.node {
                var entry = JSONObject()
                if let uid = node.uid { entry["uid"] = uid }
                if let gid = node.gid { entry["gid"] = gid }
                if let mode = node.mode { entry["mode"] = mode }
                object["node"] = entry
            }
            if let active { object["active"] = active.contains(definition.name) }
            all[definition.name] = object
        }
        global.output.printJSON(["definitions": all])
        return
    }
    global.output.printLines(definitions.flatMap { definition -> [String] in
        var head = "\(definition.name): parent \(definition.parent) type \(definition.type) autostart \(definition.autostart ? "on" : "off")"
        if let state = definition.state { head += " state \(state)" }
        if let active { head += active.contains(definition.name) ? " active" : " inactive" }
        var lines = [head]
        if let node = definition.node {
            lines.append("  node uid \(node.uid ?? 0) gid \(node.gid ?? 0) mode \(node.mode ?? "0600")")
        }
        if !definition.params.isEmpty {
            lines.append("  params " + definition.params.sorted { $0.key < $1.key }
                .map { "\($0.key) \(Rendering.quoted($0.value.description))" }.joined(separator: " "))
        }
        return lines
    })
}

private func jsonValue(_ value: DefinedValue) -> JSONValue {
    switch value {
    case .number(let number): return number.json
    case .bool(let flag): return .bool(flag)
    case .text(let text): return .string(text)
    }
}
