import ArgumentParser
import Foundation
import Subdev
import SubdevUAPI

/// `subdev inject`: fault injection into the model, for testing VMM error
/// paths. A kernel does not offer it; the model needs CAP_NET_ADMIN.
struct InjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Inject faults into the model (subdevd only, privileged): AER errors, hotplug requests, surprise removal.",
        subcommands: [AER.self, Hotplug.self, SurpriseRemove.self])

    struct AER: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "aer",
            abstract: "Report a PCI Express error on a parent (each of its subdevices) or on one subdevice.",
            usage: "subdev inject aer PARENT|DEV severity correctable|non-fatal|fatal [channel normal|frozen|perm-failure] [timeout MS]",
            discussion: """
            Correctable errors are counted and reported. Non-fatal and fatal ones run the \
            recovery handshake: holders get an aer event (error-detected) and answer \
            recovered, need-reset or disconnect within the timeout (default: subdevd's \
            --aer-timeout-ms); the subdevice is reset through its plugin when the channel \
            froze (fatal) or a holder asked; then it resumes, or is removed if the reset \
            fails. The channel defaults to normal, or frozen for fatal; perm-failure \
            removes the subdevices at once.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A parent (BUS/NAME) or a subdevice (PARENT/INDEX or name).", valueName: "target"))
        var target: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("severity SEVERITY, then optionally channel STATE and timeout MS.", valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                var severity: SubdevAerSeverity?
                var channel: SubdevChannelState?
                var timeout: UInt32?
                var rest = words[...]
                while let word = rest.popFirst() {
                    switch word {
                    case "severity":
                        let value = rest.popFirst() ?? ""
                        guard let parsed = SubdevAerSeverity(name: value) else {
                            throw CLIError("severity is correctable, non-fatal or fatal, not \(value.isEmpty ? "nothing" : value)")
                        }
                        severity = parsed
                    case "channel":
                        let value = rest.popFirst() ?? ""
                        guard let parsed = SubdevChannelState(name: value) else {
                            throw CLIError("channel is normal, frozen or perm-failure, not \(value.isEmpty ? "nothing" : value)")
                        }
                        channel = parsed
                    case "timeout":
                        timeout = try popMilliseconds(after: word, from: &rest)
                    default:
                        throw CLIError("inject aer takes severity, channel and timeout, not \(word)")
                    }
                }
                guard let severity else { throw CLIError("inject aer needs severity correctable|non-fatal|fatal") }
                let client = try await global.connect()
                if let parent = ParentHandle(parsing: target) {
                    try await client.injectAER(parent: parent, severity: severity, channelState: channel, timeoutMilliseconds: timeout)
                } else {
                    let device = try await client.device(try parseDevice(target))
                    try await client.injectAER(parent: device.parent, device: device.handle, severity: severity,
                                               channelState: channel, timeoutMilliseconds: timeout)
                }
            }
        }
    }

    struct Hotplug: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hotplug",
            abstract: "Press the attention button of a parent's slot: remove, add, or cancel the request that waits.",
            usage: "subdev inject hotplug PARENT remove|add|cancel [window MS] [deadline MS]",
            discussion: """
            A request is announced with an event and waits out its window (default: \
            subdevd's --hotplug-window-ms, 5 s), in which 'cancel' drops it and nothing \
            changes. Then remove soft-removes the parent's subdevices (their holders get \
            remove requests; 'deadline MS' makes each removal hard after MS) and removes \
            the parent; add brings the parent, and its types, in. A slot for add is a \
            parent removed earlier, or one the hardware file describes with present: false.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME.", valueName: "parent"))
        var parent: String

        @Argument(help: ArgumentHelp("remove, add or cancel.", valueName: "action"))
        var action: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("window MS, deadline MS.", valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                let parent = try parseParent(parent)
                var window: UInt32?, deadline: UInt32?
                var rest = words[...]
                while let word = rest.popFirst() {
                    guard word == "window" || word == "deadline" else {
                        throw CLIError("inject hotplug takes window MS and deadline MS, not \(word)")
                    }
                    let ms = try popMilliseconds(after: word, from: &rest)
                    if word == "window" { window = ms } else { deadline = ms }
                }
                let client = try await global.connect()
                switch action {
                case "remove", "add":
                    try await client.injectHotplug(parent: parent, action: action == "add" ? .add : .remove,
                                                   windowMilliseconds: window, deadlineMilliseconds: deadline)
                case "cancel":
                    guard window == nil, deadline == nil else { throw CLIError("cancel takes no window or deadline") }
                    try await client.cancelHotplug(parent: parent)
                default:
                    throw CLIError("hotplug action is remove, add or cancel, not \(action)")
                }
            }
        }
    }

    struct SurpriseRemove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "surprise-remove",
            abstract: "Pull a parent's card without warning: its subdevices are removed at once, holders revoked.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The parent, BUS/NAME.", valueName: "parent"))
        var parent: String

        func run() async throws {
            try await reportingErrors {
                let parent = try parseParent(parent)
                let client = try await global.connect()
                try await client.injectHotplug(parent: parent, action: .surpriseRemove)
            }
        }
    }
}
