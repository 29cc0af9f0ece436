import ArgumentParser
import Foundation
import Subdev

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print notifications and events as they arrive, one per line, until interrupted.",
        discussion: """
        Joins the config group (subdevices created, changed and deleted; parents added and \
        removed), the events group (remove requests, revocations, AER errors and their \
        recovery, hotplug requests), or both; needs no privilege. Lines read \
        '[dev,new|change|del] <subdevice>', '[parent,new|del] <parent>' and \
        '[event,remove-request|revoke|aer|hotplug] seq N ...' as devlink monitor prints them; \
        -j prints one JSON object per line. When messages were lost, a resync line follows \
        and monitoring goes on.
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("What to watch: config, events or all (default all).", valueName: "group"))
    var group: String = "all"

    func run() async throws {
        try await reportingErrors {
            guard ["config", "events", "all"].contains(group) else {
                throw CLIError("monitor watches config, events or all, not \(group)")
            }
            let client = try await global.connect()
            let notifications = group == "events" ? nil : try client.configNotifications()
            let events = group == "config" ? nil : try client.events()
            FileHandle.standardError.write(Data("subdev: monitoring \(group) at port \(client.port)\n".utf8))
            let json = global.json
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                if let notifications {
                    tasks.addTask { for try await notification in notifications { try Self.print(notification, json: json) } }
                }
                if let events {
                    tasks.addTask { for try await event in events { try Self.print(event, json: json) } }
                }
                try await tasks.waitForAll()
            }
        }
    }

    static func print(_ notification: ConfigNotification, json: Bool) throws {
        let output = Output(json: json, pretty: false)
        switch notification {
        case .created(let device): try print(device, event: "new", json: json)
        case .changed(let device): try print(device, event: "change", json: json)
        case .deleted(let device): try print(device, event: "del", json: json)
        case .parentAdded(let parent): try print(parent, event: "new", json: json)
        case .parentRemoved(let parent): try print(parent, event: "del", json: json)
        case .resynchronised(let state):
            if json {
                output.printJSON(["event": "resync", "group": "config", "parents": state.parents.count, "devs": state.devices.count])
            } else {
                output.printLines(["[dev,resync] notifications were lost; dumped again: parents \(state.parents.count) devs \(state.devices.count)"])
            }
        }
    }

    static func print(_ device: DeviceInfo, event: String, json: Bool) throws {
        if json {
            Output(json: true, pretty: false).printJSON(["event": event, "dev": [Rendering.key(device): Rendering.json(device)] as JSONObject])
            return
        }
        var lines = Rendering.text(device)
        lines[0] = "[dev,\(event)] " + lines[0]
        if let reason = device.reason { lines.append("  reason \(Rendering.quoted(reason))") }
        Output(json: false, pretty: false).printLines(lines)
    }

    static func print(_ parent: ParentInfo, event: String, json: Bool) throws {
        if json {
            Output(json: true, pretty: false).printJSON(["event": "parent-" + event, "parent": ["\(parent.handle)": Rendering.json(parent)] as JSONObject])
            return
        }
        var lines = Rendering.text(parent)
        lines[0] = "[parent,\(event)] " + lines[0]
        Output(json: false, pretty: false).printLines(lines)
    }

    static func print(_ event: SubdevEvent, json: Bool) throws {
        let output = Output(json: json, pretty: false)
        // Each field once, in the order a line shows them.
        var fields: [(String, any JSONRepresentable)] = []
        let kind: String
        switch event {
        case .removeRequest(let body), .revoke(let body):
            if case .removeRequest = event { kind = "remove-request" } else { kind = "revoke" }
            fields = [("seq", body.sequence), ("dev", "\(body.parent)/\(body.index)")]
            if let name = body.name { fields.append(("name", name)) }
            if let vfio = body.vfioIndex { fields.append(("vfio", vfio)) }
            if let counter = body.counter { fields.append(("counter", counter)) }
            if let deadline = body.deadlineMilliseconds { fields.append(("deadline-ms", deadline)) }
            fields.append(("holders", body.holderPIDs))
            if let reason = body.reason { fields.append(("reason", reason)) }
        case .aer(let body):
            kind = "aer"
            fields = [("seq", body.sequence), body.index.map { ("dev", "\(body.parent)/\($0)") } ?? ("parent", "\(body.parent)")]
            if let name = body.name { fields.append(("name", name)) }
            if let vfio = body.vfioIndex { fields.append(("vfio", vfio)) }
            fields += [("stage", body.stage.name), ("severity", body.severity.name), ("channel", body.channelState.name)]
            if let timeout = body.timeoutMilliseconds { fields.append(("timeout-ms", timeout)) }
            fields.append(("holders", body.holderPIDs))
            if let reason = body.reason { fields.append(("reason", reason)) }
        case .hotplug(let body):
            kind = "hotplug"
            fields = [("seq", body.sequence), ("parent", "\(body.parent)"), ("action", body.action.name), ("stage", body.stage.name)]
            if let window = body.windowMilliseconds { fields.append(("window-ms", window)) }
            if let reason = body.reason { fields.append(("reason", reason)) }
        case .resynchronised(let state):
            kind = "resync"
            fields.append(("group", "events"))
            if let missed = state.missedSequences { fields.append(("missed", "\(missed.lowerBound)-\(missed.upperBound)")) }
            fields += [("parents", state.parents.count), ("devs", state.devices.count)]
        }
        if json {
            var object: JSONObject = ["event": kind]
            for (key, value) in fields { object[key] = value }
            output.printJSON(object)
            return
        }
        var line = "[event,\(kind)]"
        if case .resynchronised = event { line += " events were lost; dumped again:" }
        for (key, value) in fields {
            switch value {
            case let pids as [UInt32]:
                if !pids.isEmpty { line += " \(key) " + pids.map(String.init).joined(separator: ",") }
            case let text as String where key == "reason":
                line += " reason \(Rendering.quoted(text))"
            case let text as String where key == "dev" || key == "parent":
                line += " \(text)"
            case _ where key == "vfio" || key == "group":
                continue
            default:
                line += " \(key) \(value)"
            }
        }
        output.printLines([line])
    }
}
