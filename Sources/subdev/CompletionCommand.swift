import ArgumentParser
import Foundation
import Subdev
import SubdevDefinitions

/// `subdev __complete WORD...`: the candidates for the last word of a
/// command line, one per line, for the bash completion in
/// `completions/subdev.bash`. Objects, verbs and keywords come from the
/// command tree; parents, types, subdevices and parameter names from the
/// live model, when it answers (nothing of it when not).
struct CompletionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__complete", abstract: "Print completions for a command line (used by the bash completion).",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The words after 'subdev', the last one being completed.", valueName: "words"))
    var words: [String] = []

    func run() async throws {
        let candidates = await Completer(words: words.first == "--" ? Array(words.dropFirst()) : words).candidates()
        if !candidates.isEmpty { print(candidates.joined(separator: "\n")) }
    }
}

/// Works out what may come next on a command line.
struct Completer {
    static let objects = ["parent", "type", "dev", "monitor", "inject", "inventory", "agent", "help"]
    static let verbs: [String: [String]] = [
        "parent": ["show"], "type": ["show"],
        "dev": ["add", "show", "set", "del", "define", "undefine", "start", "stop", "list", "autostart", "compat"],
        "monitor": ["config", "events", "all"], "inject": ["aer", "hotplug", "surprise-remove"],
    ]
    static let globalFlags = ["-j", "--json", "-p", "--pretty", "--port", "--transport", "-h", "--help"]

    /// Command words (options and their values taken out).
    var words: [String] = []
    /// The word being completed.
    var current = ""
    var port: String?
    var configDir: String?

    init(words all: [String]) {
        current = all.last ?? ""
        var rest = all.dropLast()[...]
        while let word = rest.popFirst() {
            if GlobalOptions.valued.contains(word) {
                let value = rest.popFirst()
                if word == "--port" { port = value }
                if word == "--config-dir" { configDir = value }
            } else if !word.hasPrefix("-") {
                words.append(word)
            }
        }
    }

    func candidates() async -> [String] {
        let all = await possible()
        return all.filter { $0.hasPrefix(current) }
    }

    private func possible() async -> [String] {
        if current.hasPrefix("-") { return Self.globalFlags + ["--config-dir", "--defined", "--node", "--driver", "-V", "--version"] }
        guard let object = words.first else { return Self.objects }
        guard words.count >= 2 else {
            if object == "help" { return Self.objects }
            return Self.verbs[object] ?? []
        }
        let verb = words[1], arguments = Array(words.dropFirst(2))
        let live = LiveModel(port: port)
        switch (object, verb) {
        case ("parent", "show"):
            return arguments.isEmpty ? await live.parents() : []
        case ("type", "show"):
            if arguments.isEmpty { return await live.parents() }
            if arguments.count == 1, let parent = ParentHandle(parsing: arguments[0]) { return await live.types(of: parent) }
            return []
        case ("dev", "add"), ("dev", "define"):
            guard let parentText = arguments.first else { return await live.parents() }
            var keywords = ["type", "name", "state", "node-uid", "node-gid", "node-mode"]
            if verb == "define" { keywords.append("autostart") }
            return await pairs(Array(arguments.dropFirst()), keywords: keywords, parent: ParentHandle(parsing: parentText), live: live)
        case ("dev", "set"):
            guard let device = arguments.first else { return await live.devices() }
            return await pairs(Array(arguments.dropFirst()), keywords: ["state"], device: device, live: live)
        case ("dev", "show"):
            return arguments.isEmpty ? await live.devices() + live.parents() : []
        case ("dev", "del"):
            return arguments.isEmpty ? await live.devices() : ["force", "deadline", "wait"]
        case ("dev", "compat"):
            return arguments.count < 2 ? await live.devices() : []
        case ("dev", "start"), ("dev", "stop"), ("dev", "undefine"):
            return arguments.isEmpty ? definitionNames() : (verb == "stop" && arguments.count == 1 ? ["force"] : [])
        case ("dev", "autostart"):
            if arguments.isEmpty { return definitionNames() }
            return arguments.count == 1 ? ["on", "off"] : []
        case ("inject", "aer"):
            if arguments.isEmpty { return await live.devices() + live.parents() }
            return Self.afterKeyword(arguments.last, ["severity": ["correctable", "non-fatal", "fatal"],
                                                      "channel": ["normal", "frozen", "perm-failure"]])
                ?? (arguments.count % 2 == 1 ? ["severity", "channel", "timeout"] : [])
        case ("inject", "hotplug"):
            if arguments.isEmpty { return await live.parents() }
            return arguments.count == 1 ? ["remove", "add", "cancel"] : (arguments.count % 2 == 0 ? ["window", "deadline"] : [])
        case ("inject", "surprise-remove"):
            return arguments.isEmpty ? await live.parents() : []
        default:
            return []
        }
    }

    /// Values of a keyword that takes one of a few; `nil` when `word` is not such a keyword.
    static func afterKeyword(_ word: String?, _ choices: [String: [String]]) -> [String]? {
        word.flatMap { choices[$0] }
    }

    /// Completion inside `KEY VALUE` pairs: keywords and the type's
    /// parameter names at a key, a keyword's or parameter's values at a value.
    private func pairs(_ given: [String], keywords: [String], parent: ParentHandle? = nil, device: String? = nil,
                       live: LiveModel) async -> [String] {
        var settings: [String: String] = [:]
        var index = 0
        while index + 1 < given.count {
            settings[given[index]] = given[index + 1]
            index += 2
        }
        let atValue = given.count % 2 == 1
        var schema: [ParamInfo] = []
        var parentHandle = parent
        if let device, let info = await live.device(device) {
            parentHandle = info.parent
            schema = await live.schema(info.type, of: info.parent).filter(\.mutable)
        } else if let parentHandle, let type = settings["type"] {
            schema = await live.schema(type, of: parentHandle)
        }
        if atValue, let key = given.last {
            switch key {
            case "type":
                guard let parentHandle else { return [] }
                return await live.types(of: parentHandle)
            case "state": return ["up", "down"]
            case "autostart": return ["on", "off"]
            default:
                guard let param = schema.first(where: { $0.name == key }) else { return [] }
                if param.kind == .bool { return ["true", "false"] }
                return param.choices
            }
        }
        return (keywords + schema.map(\.name)).filter { settings[$0] == nil }
    }

    private func definitionNames() -> [String] {
        DefinitionStore.resolve(configDir).all().definitions.map(\.name)
    }
}

/// The live model, asked with a short timeout; empty answers when it
/// does not answer, so completion never hangs or fails.
struct LiveModel {
    let port: String?

    private func client() async -> SubdevClient? {
        let peer = port.flatMap(SubdevClient.parsePort)
        if port != nil, peer == nil { return nil }
        return try? await SubdevClient.connect(port: peer, timeout: 1)
    }

    func parents() async -> [String] {
        (try? await client()?.parents().map(\.handle.description)) ?? []
    }

    func types(of parent: ParentHandle) async -> [String] {
        (try? await client()?.types(of: parent).map(\.name)) ?? []
    }

    func devices() async -> [String] {
        guard let devices = try? await client()?.devices() else { return [] }
        return devices.flatMap { device in [device.name, "\(device.parent)/\(device.index)"].compactMap { $0 } }
    }

    func device(_ text: String) async -> DeviceInfo? {
        guard let handle = DeviceHandle(parsing: text) else { return nil }
        return try? await client()?.device(handle)
    }

    func schema(_ type: String, of parent: ParentHandle) async -> [ParamInfo] {
        (try? await client()?.type(type, of: parent).params) ?? []
    }
}
