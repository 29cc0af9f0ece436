import ArgumentParser
import Subdev

/// `subdev`: the operator's tool, in iproute2's object-verb style.
@main
struct SubdevTool: AsyncParsableCommand {
    /// iproute2 puts global options first (`subdev -j dev show`); the
    /// argument parser wants a subcommand's options after its name, so the
    /// leading ones move behind the command words.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // -V, as iproute2 tools spell --version.
        await main(arguments == ["-V"] ? ["--version"] : GlobalOptions.movingLeadingOptions(arguments))
    }

    static let configuration = CommandConfiguration(
        commandName: "subdev",
        abstract: "Manage subdevices: list parents and types, create, change and delete subdevices, watch events.",
        discussion: """
        Talks to the subdev generic netlink family: the kernel model subdevd at \
        $SUBDEV_NL_PORT (default 1258291200), or a kernel at --port 0. Handles: \
        a parent is BUS/NAME (pci/0000:6a:01.0); a subdevice is PARENT/INDEX \
        (pci/0000:6a:01.0/3) or the name it was given. The options -j/--json, \
        -p/--pretty, --port and --transport go before the object or after the \
        verb: subdev -j dev show.
        """,
        version: SubdevRelease.banner("subdev"),
        subcommands: [ParentCommand.self, TypeCommand.self, DevCommand.self, MonitorCommand.self, InjectCommand.self,
                      InventoryCommand.self, AgentCommand.self, CompletionCommand.self])
}
