import ArgumentParser
import Foundation
import Subdev
import SubdevDefinitions

/// `subdev agent`: the autostart agent, for a kernel or a model that does
/// not run it itself (`subdevd --config-dir`).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Create autostart definitions whenever their parent is present; run until interrupted.",
        discussion: """
        At start, after a hotplug adds a parent, and after lost notifications, each \
        autostart definition whose parent is present and whose subdevice does not exist \
        is started. Each attempt prints one line (with -j, one JSON object). A definition \
        that fails is not tried again until its parent appears anew or it is changed.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var definitions: DefinitionOptions

    func run() async throws {
        try await reportingErrors {
            let output = global.output
            let agent = Autostarter(client: try await global.connect(), store: definitions.store, report: { outcome in
                if output.json {
                    var object = JSONObject()
                    switch outcome {
                    case .started(let name, let device):
                        object = ["name": name, "started": "\(device.parent)/\(device.index)"]
                        if let vfio = device.vfio { object["vfio"] = vfio.index }
                    case .failed(let name, let parent, let reason):
                        object = ["name": name, "parent": parent, "failed": reason]
                    }
                    output.printJSON(object)
                } else {
                    output.printLines(["autostart \(outcome)"])
                }
            }, problem: { FileHandle.standardError.write(Data("Warning: \($0)\n".utf8)) })
            try await agent.run()
        }
    }
}
