import ArgumentParser
import Foundation
import Subdev

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print notifications as they arrive, one per line, until interrupted.",
        discussion: "Joins the config group; needs no privilege. Lines read '[dev,new|change|del] <subdevice>' as devlink monitor prints them.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let client = try await global.connect()
            let notifications = try client.configNotifications()
            FileHandle.standardError.write(Data("subdev: monitoring config at port \(client.port)\n".utf8))
            for try await notification in notifications {
                let (event, device): (String, DeviceInfo?)
                switch notification {
                case .created(let d): (event, device) = ("new", d)
                case .changed(let d): (event, device) = ("change", d)
                case .deleted(let d): (event, device) = ("del", d)
                case .overrun: (event, device) = ("overrun", nil)
                }
                if global.json {
                    var object: [String: Any] = ["event": event]
                    if let device { object["dev"] = [Rendering.key(device): Rendering.json(device)] }
                    try Output(json: true, pretty: false).printJSON(object)
                } else if let device {
                    var lines = Rendering.text(device)
                    lines[0] = "[dev,\(event)] " + lines[0]
                    if let reason = device.reason { lines.append("  reason \(Rendering.quoted(reason))") }
                    global.output.printLines(lines)
                } else {
                    global.output.printLines(["[overrun] notifications were lost; run 'subdev dev show' to resynchronise"])
                }
            }
        }
    }
}
