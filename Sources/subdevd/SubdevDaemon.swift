import CSystemCalls
import ArgumentParser
import Foundation
import Subdev
import SubdevDefinitions
import SubdevModel

/// `subdevd`: the kernel model. Serves the subdev generic netlink family on
/// a fixed netlink port until it is signalled.
@main
struct SubdevDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subdevd",
        abstract: "Serve the subdev generic netlink family: a model of the kernel side, in user space.",
        discussion: """
        Binds the port id on NETLINK_GENERIC and NETLINK_USERSOCK, answers \
        CTRL_CMD_GETFAMILY for subdev there, and prints 'subdevd ready port=<id>' \
        once it answers requests. With no arguments it serves the embedded default \
        machine: a DSA-like accelerator pci/0000:6a:01.0, a GPU pci/0000:3b:00.0 and a \
        virtual serial card virtual/mtty.
        """,
        version: SubdevRelease.banner("subdevd"))

    /// -V, as iproute2 tools spell --version.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        main(arguments == ["-V"] ? ["--version"] : arguments)
    }

    @Option(name: .long, help: ArgumentHelp(
        "Netlink port id to bind (decimal or 0x hex). Default: $SUBDEV_NL_PORT, else 0x4B000000.",
        valueName: "id"))
    var port: String?

    @Option(name: .long, help: ArgumentHelp("Generic netlink family id to answer to (default 0x500, above GENL_MAX_ID).", valueName: "id"))
    var familyId: String?

    @Option(name: .long, help: ArgumentHelp(
        "Simulated hardware to serve, a YAML description (default: the embedded machine).", valueName: "file"))
    var hardware: String?

    @Option(name: .long, help: ArgumentHelp(
        "Load vendor plugins (*.so) from this directory, besides the built-in idxd, vgpu and mtty.", valueName: "dir"))
    var pluginDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Directory for device nodes (dev/vfio/devices/vfioN) and the sysfs-style tree (sys/). Default: /run/subdev/PORT.",
        valueName: "dir"))
    var root: String?

    @Option(name: .long, help: ArgumentHelp(
        "Milliseconds between remove requests to holders of a subdevice being removed.", valueName: "ms"))
    var removeIntervalMs: UInt32 = 1000

    @Option(name: .long, help: ArgumentHelp(
        "Milliseconds holders have to answer an AER error-detected event, unless the injection gives its own.", valueName: "ms"))
    var aerTimeoutMs: UInt32 = 3000

    @Option(name: .long, help: ArgumentHelp(
        "Milliseconds within which a hotplug request can be cancelled, unless the injection gives its own.", valueName: "ms"))
    var hotplugWindowMs: UInt32 = 5000

    @Flag(name: .long, inversion: .prefixedNo, help: ArgumentHelp(
        "Mirror subdevices into ROOT/sys for tools that walk sysfs; about a dozen inodes each, so turn it off for a model of a million subdevices."))
    var sysfs = true

    @Flag(name: .long, inversion: .prefixedNo, help: ArgumentHelp(
        "Give each subdevice a device node under ROOT/dev/vfio/devices. A node is a listening socket, so the model holds at most RLIMIT_NOFILE of them (it raises the limit as far as it may); turn nodes off to measure the control plane alone beyond that."))
    var deviceNodes = true

    @Option(name: .long, help: ArgumentHelp(
        "Run the autostart agent on the definitions in DIR/definitions (as 'subdev dev define' writes them): each autostart definition is created when its parent is present, at start-up and after a hotplug adds it.",
        valueName: "dir"))
    var configDir: String?

    func validate() throws {
        for (option, value) in [("--remove-interval-ms", removeIntervalMs), ("--aer-timeout-ms", aerTimeoutMs),
                                ("--hotplug-window-ms", hotplugWindowMs)] where value == 0 {
            throw ValidationError("\(option) must be at least 1")
        }
    }

    func run() throws {
        var configuration = ModelConfiguration()
        if let text = port ?? ProcessInfo.processInfo.environment[ModelConfiguration.portEnvironmentVariable] {
            guard let value = ModelConfiguration.parsePort(text) else {
                throw ValidationError("port \(text) is not a netlink port id: give 1 to 4294967295, decimal or 0x hex")
            }
            configuration.port = value
        }
        if let familyId {
            let lowest = UInt32(ModelConfiguration.reservedFamilyIDs.upperBound) + 1
            guard let value = ModelConfiguration.parsePort(familyId), value >= lowest, value <= UInt32(UInt16.max) else {
                throw ValidationError("family id \(familyId) is outside \(lowest)...65535 (16 to 18 are nlctrl's and the kernel's fixed families)")
            }
            configuration.familyID = UInt16(value)
        }
        let server: ModelServer
        var descriptors = -1
        do {
            var plugins = PluginRegistry.builtIn
            if let pluginDir { try PluginLoader.loadDirectory(pluginDir, into: &plugins) }
            let machine: Machine
            if let hardware {
                let text: String
                do {
                    text = try String(contentsOfFile: hardware, encoding: .utf8)
                } catch {
                    throw PluginLoadError("\(hardware): cannot be read: \(error.localizedDescription)")
                }
                do {
                    machine = try HardwareFile.load(text, plugins: plugins)
                } catch {
                    throw PluginLoadError("\(hardware): \(error)")
                }
            } else {
                machine = try HardwareFile.load(try HardwareFile.embeddedDefault(), plugins: plugins)
            }
            configuration.root = ModelRoot(path: root ?? ModelRoot.defaultPath(port: configuration.port))
            configuration.removeInterval = Double(removeIntervalMs) / 1000
            configuration.aerTimeoutMilliseconds = aerTimeoutMs
            configuration.hotplugWindowMilliseconds = hotplugWindowMs
            configuration.sysfsMirror = sysfs
            configuration.deviceNodes = deviceNodes
            // A device node is a listening socket: one descriptor each.
            descriptors = subdev_raise_file_limit()
            server = try ModelServer(configuration: configuration, machine: machine)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // SIGTERM and SIGINT end run() through a signalfd, which removes
        // the device nodes and sysfs tree before the process exits.
        let groups = server.groupIDs.sorted { $0.value < $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        if deviceNodes, descriptors > 0 {
            FileHandle.standardError.write(Data("subdevd: up to \(descriptors) file descriptors: room for about \(max(0, descriptors - 64)) device nodes\n".utf8))
        }
        FileHandle.standardError.write(Data("subdevd: family subdev id \(configuration.familyID), multicast groups \(groups)\n".utf8))
        FileHandle.standardOutput.write(Data("subdevd ready port=\(configuration.port)\n".utf8))
        let readiness = Readiness()
        readiness.ready(status: "serving family subdev at port \(configuration.port)")
        if let configDir { startAgent(store: DefinitionStore(configDirectory: configDir), port: configuration.port) }
        server.run()
        readiness.stopping()
    }

    /// Runs the autostart agent as a client of this model, over netlink
    /// like any other, while the main thread serves.
    func startAgent(store: DefinitionStore, port: UInt32) {
        let say: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("subdevd: autostart: \(line)\n".utf8))
        }
        Task.detached {
            do {
                let client = try await SubdevClient.connect(port: port)
                try await Autostarter(client: client, store: store, report: { say("\($0)") }, problem: say).run()
            } catch {
                say("stopped: \(error)")
            }
        }
    }
}
