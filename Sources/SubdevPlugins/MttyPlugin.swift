import SubdevPlugin

/// Virtual serial ports, like the kernel's `mtty` sample driver: the
/// smallest complete plugin, and the one to copy when writing a new one.
///
/// Hardware description:
///
/// ```yaml
/// driver: mtty
/// config:
///   ports: 24        # serial ports the parent has in all (default 24)
/// ```
///
/// Types `mtty-1` and `mtty-2` take one and two ports from the shared
/// `ports` counter; the host does the arithmetic. Like the kernel's sample
/// since 6.7, they migrate; the host's standard rules judge compatibility.
public struct MttyPlugin: DevicePlugin {
    public init() {}

    public let driver = "mtty"

    public func describe(_ hardware: HardwareConfig) throws -> ParentSpec {
        try hardware.allowOnly(["ports"])
        let ports = try hardware.integer("ports", in: 1...1024, default: 24)
        return ParentSpec(
            vendor: "Linux sample drivers",
            types: [1, 2].map(type(ports:)),
            counters: [CounterSpec(name: "ports", total: ports)])
    }

    func type(ports: UInt64) -> TypeSpec {
        TypeSpec(
            name: "mtty-\(ports)", typeClass: .serial,
            description: "virtual 16550 serial card with \(ports) port\(ports == 1 ? "" : "s")",
            params: [
                ParamSchema(name: "baud", kind: .u32, min: 300, max: 115_200, defaultValue: .int(9600), mutable: true,
                            doc: "Line speed the ports start at, in bits per second."),
                ParamSchema(name: "parity", kind: .enum, defaultValue: .string("none"), choices: ["none", "even", "odd"],
                            mutable: true, doc: "Parity bit of every character."),
                ParamSchema(name: "label", kind: .string, defaultValue: .string(""),
                            doc: "Free text the guest sees as the card's description."),
            ],
            migration: Migration(supported: true, compatibility: "mtty;ports=\(ports);abi=1"),
            capabilities: [.int("ports", .u8, ports, doc: "Serial ports on the card.")])
    }

    public func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        guard let ports = type.capabilities.first(where: { $0.name == "ports" })?.value.int else {
            throw PluginError.invalid("type \(type.name) does not say how many ports it has")
        }
        return Allocation(counters: CounterAmounts("ports", ports))
    }
}
