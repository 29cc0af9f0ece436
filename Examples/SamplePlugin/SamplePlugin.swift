import SubdevPlugin

/// A sample vendor plugin, built as a shared library of its own and loaded
/// by `subdevd --plugin-dir`: an FPGA-like card whose regions are carved
/// into accelerator slots. It also offers two types that fail on purpose,
/// to show that a failed create leaves nothing behind.
///
/// Hardware description:
///
/// ```yaml
/// driver: sample-fpga
/// config:
///   slots: 4          # partial-reconfiguration regions
///   luts: 1000        # logic, in thousands of LUTs, the slots share
/// ```
struct SampleFPGAPlugin: DevicePlugin {
    let driver = "sample-fpga"

    func describe(_ hardware: HardwareConfig) throws -> ParentSpec {
        try hardware.allowOnly(["slots", "luts"])
        let slots = try hardware.integer("slots", in: 1...64, default: 4)
        let luts = try hardware.integer("luts", in: 1...1_000_000, default: 1000)
        return ParentSpec(
            vendor: "Example Logic Inc.",
            types: [
                TypeSpec(name: "accel", typeClass: .other, description: "accelerator in one reconfigurable region",
                         params: [ParamSchema(name: "luts", kind: .u32, min: 1, max: luts, defaultValue: .int(100),
                                              doc: "Thousands of LUTs the accelerator's bitstream needs."),
                                  ParamSchema(name: "bitstream", kind: .string,
                                              doc: "Name of the bitstream to program; required.")],
                         capabilities: [.string("region-kind", "partial-reconfiguration", doc: "How the card is carved.")],
                         registration: .iommuGroup),
                TypeSpec(name: "flaky", typeClass: .other,
                         description: "takes a region, then more logic than the card has: refused as a whole"),
                TypeSpec(name: "broken", typeClass: .other,
                         description: "its firmware fails half-way through programming the region"),
            ],
            counters: [CounterSpec(name: "slots", total: slots), CounterSpec(name: "luts", total: luts)])
    }

    func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        let slot = (0..<64).first { !parent.placements.contains($0) } ?? 0
        switch type.name {
        case "accel":
            return Allocation(counters: ["slots": 1, "luts": params["luts"]?.int ?? 100], placement: slot,
                              details: [.int("region", .u32, slot, doc: "The region programmed.")])
        case "flaky":
            // The first counter fits; the second never does.
            return Allocation(counters: ["slots": 1, "luts": parent.free("luts") + 1], placement: slot)
        case "broken":
            throw PluginError.deviceFailed("firmware of region \(slot) stopped answering half-way through programming")
        default:
            throw PluginError.invalid("sample-fpga offers no type \(type.name)")
        }
    }

    /// An AER recovery's reset reprograms the region from its bitstream;
    /// a bitstream whose name ends in .corrupt does not load, so the
    /// recovery fails and the host removes the subdevice.
    func reset(_ instance: InstanceState, in parent: ParentState) throws {
        guard case .string(let bitstream)? = instance.params["bitstream"] else { return }
        if bitstream.hasSuffix(".corrupt") {
            throw PluginError.deviceFailed("bitstream \(bitstream) failed its CRC while region \(instance.allocation.placement ?? 0) was reprogrammed")
        }
    }
}

@_cdecl("subdev_plugin_abi_version")
public func subdevPluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("subdev_plugin_call")
public func subdevPluginCall(_ request: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? {
    PluginExport.call(SampleFPGAPlugin(), request)
}

@_cdecl("subdev_plugin_free")
public func subdevPluginFree(_ response: UnsafeMutablePointer<CChar>?) {
    PluginExport.free(response)
}
