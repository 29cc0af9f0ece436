import ArgumentParser
import Foundation
import Netlink
import Subdev

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Subdevices: create, show, change, delete; define, start and stop; check migration.",
        subcommands: [Add.self, Show.self, Set.self, Del.self, Define.self, Undefine.self, Start.self, Stop.self,
                      List.self, Autostart.self, Compat.self],
        defaultSubcommand: Show.self)

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
                    params = try schema.values(parsing: parsed.params, type: type)
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
                    params = try schema.values(parsing: parsed.params, type: current.type)
                }
                try await client.setDevice(handle, adminState: parsed.state, params: params)
            }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a subdevice and return its resources to the parent.",
            usage: "subdev dev del DEV [force] [deadline MS] [wait [SECONDS]]",
            discussion: """
            Soft by default: an unheld subdevice goes at once; a held one is asked to \
            be let go, with remove requests to its holders, and goes when they do. \
            'force' cuts the holders off at once; 'deadline MS' does so after MS \
            milliseconds; 'wait' returns only when the subdevice is gone (at most \
            SECONDS, default for ever).
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The subdevice, PARENT/INDEX or name.", valueName: "dev"))
        var device: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("force, deadline MS, wait [SECONDS].", valueName: "words"))
        var words: [String] = []

        func run() async throws {
            try await reportingErrors {
                let handle = try parseDevice(device)
                var force = false, wait = false
                var deadline: UInt32?, waitSeconds: Double?
                var rest = words[...]
                while let word = rest.popFirst() {
                    switch word {
                    case "force": force = true
                    case "deadline":
                        deadline = try popMilliseconds(after: word, from: &rest)
                    case "wait":
                        wait = true
                        if let text = rest.first, let seconds = Double(text) {
                            guard seconds.isFinite, seconds >= 0, seconds <= 1e9 else {
                                throw CLIError("wait takes a number of seconds from 0, not \(text)")
                            }
                            rest.removeFirst()
                            waitSeconds = seconds
                        }
                    default:
                        throw CLIError("dev del takes force, deadline MS and wait [SECONDS], not \(word)")
                    }
                }
                let client = try await global.connect()
                // Subscribe before asking, so the deletion cannot be missed.
                let notifications = wait ? try client.configNotifications() : nil
                defer { notifications?.cancel() }
                let target = try await client.device(handle)
                do {
                    try await client.deleteDevice(handle, force: force, deadlineMilliseconds: deadline)
                } catch let error as NetlinkError where error.errno == EBUSY && wait && !force && deadline == nil {
                    // A removal is already under way: waiting for it is what was asked.
                }
                guard let notifications else { return }
                try await waitForDeletion(of: target, in: notifications, seconds: waitSeconds)
            }
        }

        /// Returns once `dev-del-ntf` for `target` arrives; fails after `seconds`.
        func waitForDeletion(of target: DeviceInfo, in notifications: ConfigNotifications,
                             seconds: Double?) async throws {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for try await notification in notifications {
                        if case .deleted(let device) = notification, device.handle == target.handle { return true }
                        // Notifications were lost: the fresh dump says whether it is still there.
                        if case .resynchronised(let state) = notification,
                           !state.devices.contains(where: { $0.handle == target.handle }) {
                            return true
                        }
                    }
                    return false
                }
                if let seconds {
                    group.addTask {
                        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                        return false
                    }
                }
                let gone = try await group.next() ?? false
                group.cancelAll()
                guard gone else {
                    let waited = seconds.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "?"
                    throw CLIError("\(target.handle) is still being removed after \(waited) s; its holders have not let go")
                }
            }
        }
    }
}

/// Prints subdevices as text, or as `{"dev": {"PARENT/INDEX": {...}}}`.
func show(_ devices: [DeviceInfo], global: GlobalOptions) throws {
    if global.json {
        global.output.printListing("dev", devices, key: Rendering.key, value: Rendering.json)
    } else {
        global.output.printLines(of: devices, Rendering.text)
    }
}
