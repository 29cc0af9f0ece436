import ArgumentParser
import Foundation
import Subdev

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print notifications and events as they arrive, one per line, until interrupted.",
        discussion: """
        Joins the config group (created, changed, deleted subdevices), the events group \
        (remove requests, revocations), or both; needs no privilege. Lines read \
        '[dev,new|change|del] <subdevice>' and '[event,remove-request|revoke] <subdevice> ...' \
        as devlink monitor prints them; -j prints one JSON object per line.
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
        let (event, device): (String, DeviceInfo?)
        switch notification {
        case .created(let d): (event, device) = ("new", d)
        case .changed(let d): (event, device) = ("change", d)
        case .deleted(let d): (event, device) = ("del", d)
        case .overrun: (event, device) = ("overrun", nil)
        }
        if json {
            var object: [String: Any] = ["event": event]
            if let device { object["dev"] = [Rendering.key(device): Rendering.json(device)] }
            try Output(json: true, pretty: false).printJSON(object)
        } else if let device {
            var lines = Rendering.text(device)
            lines[0] = "[dev,\(event)] " + lines[0]
            if let reason = device.reason { lines.append("  reason \(Rendering.quoted(reason))") }
            Output(json: false, pretty: false).printLines(lines)
        } else {
            Output(json: false, pretty: false).printLines(["[dev,overrun] notifications were lost; run 'subdev dev show' to resynchronise"])
        }
    }

    static func print(_ event: SubdevEvent, json: Bool) throws {
        let (kind, body): (String, DeviceEvent?)
        switch event {
        case .removeRequest(let e): (kind, body) = ("remove-request", e)
        case .revoke(let e): (kind, body) = ("revoke", e)
        case .overrun: (kind, body) = ("overrun", nil)
        }
        guard let body else {
            Output(json: json, pretty: false).printLines([json ? "{\"event\":\"overrun\"}" : "[event,overrun] events were lost"])
            return
        }
        if json {
            var object: [String: Any] = ["event": kind, "seq": body.sequence, "dev": "\(body.parent)/\(body.index)",
                                         "holders": body.holderPIDs]
            if let name = body.name { object["name"] = name }
            if let vfio = body.vfioIndex { object["vfio"] = vfio }
            if let counter = body.counter { object["counter"] = counter }
            if let deadline = body.deadlineMilliseconds { object["deadline-ms"] = deadline }
            if let reason = body.reason { object["reason"] = reason }
            try Output(json: true, pretty: false).printJSON(object)
            return
        }
        var line = "[event,\(kind)] seq \(body.sequence) \(body.parent)/\(body.index)"
        if let name = body.name { line += " name \(name)" }
        if let counter = body.counter { line += " counter \(counter)" }
        if let deadline = body.deadlineMilliseconds { line += " deadline-ms \(deadline)" }
        if !body.holderPIDs.isEmpty { line += " holders " + body.holderPIDs.map(String.init).joined(separator: ",") }
        if let reason = body.reason { line += " reason \(Rendering.quoted(reason))" }
        Output(json: false, pretty: false).printLines([line])
    }
}
