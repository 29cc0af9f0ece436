import ArgumentParser
import SubdevDefinitions

/// Where definitions live, for the commands that read or write them.
struct DefinitionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Configuration directory; definitions are DIR/definitions/NAME.json. Default: $SUBDEV_CONFIG_DIR, else /etc/subdev.",
        valueName: "dir"))
    var configDir: String?

    var store: DefinitionStore { DefinitionStore.resolve(configDir) }
}
