import SubdevPlugin

/// Intel DSA/IAA-like accelerators, as the idxd driver and accel-config
/// present them: engines in groups, work queues (WQs) sharing the device's
/// WQ entries, and PASIDs tagging each client's DMA.
///
/// Hardware description:
///
/// ```yaml
/// driver: idxd
/// config:
///   device: dsa               # or iax
///   wqs: 8                    # work queues
///   wq-entries: 128           # entries all WQs share
///   engines: 4
///   groups: 4
///   pasids: 64                # PASIDs the device may use
///   shared-wqs:               # WQs configured shared at boot, taken
///     - size: 32              # from wqs and wq-entries
///       threshold: 28         # entries ENQCMD clients may fill (default: size)
/// ```
///
/// Type `dwq` is a dedicated WQ: one whole WQ per subdevice, its size
/// taken from `wq-entries`. Type `swq-slice` is a slice of a shared WQ:
/// many subdevices per shared WQ, each with its own PASID and a share of
/// that WQ's entries. Both are SIOV-style and carry a PASID.
public struct IdxdPlugin: DevicePlugin {
    public init() {}

    public let driver = "idxd"

    /// What the hardware description says, read once per call.
    struct Device {
        var kind: String
        var wqs: UInt64
        var entries: UInt64
        var engines: UInt64
        var groups: UInt64
        var pasids: UInt64
        /// Sizes of the shared WQs, which are WQs 0..<count.
        var sharedSizes: [UInt64]
        /// Thresholds of the shared WQs: what slices may take of each.
        var thresholds: [UInt64]

        init(_ hardware: HardwareConfig) throws {
            try hardware.allowOnly(["device", "wqs", "wq-entries", "engines", "groups", "pasids", "shared-wqs"])
            kind = try hardware.choice("device", ["dsa", "iax"], default: "dsa")
            wqs = try hardware.integer("wqs", in: 1...64, default: 8)
            entries = try hardware.integer("wq-entries", in: 1...4096, default: 128)
            engines = try hardware.integer("engines", in: 1...64, default: 4)
            groups = try hardware.integer("groups", in: 1...64, default: 4)
            pasids = try hardware.integer("pasids", in: 0...(1 << 20), default: 64)
            let total = entries
            let shared = try hardware.items("shared-wqs").map { node in
                try node.allowOnly(["size", "threshold"])
                let size = try node.integer("size", in: 1...total)
                return (size, try node.integer("threshold", in: 1...size, default: size))
            }
            sharedSizes = shared.map(\.0)
            thresholds = shared.map(\.1)
            if sharedSizes.count > Int(wqs), let node = try hardware.child("shared-wqs") {
                throw node.error("\(sharedSizes.count) shared WQs but the device has \(wqs) WQs")
            }
            if sharedSizes.reduce(0, +) > entries, let node = try hardware.child("shared-wqs") {
                throw node.error("shared WQs take \(sharedSizes.reduce(0, +)) entries but the device has \(entries)")
            }
        }

        var dedicatedWQs: Range<UInt64> { UInt64(sharedSizes.count)..<wqs }
        var dedicatedEntries: UInt64 { entries - sharedSizes.reduce(0, +) }
        /// Largest transfer in bytes: 2 MiB on DSA, 2 GiB of source on IAA.
        var maxTransfer: UInt64 { kind == "dsa" ? 1 << 21 : 1 << 31 }
        var maxBatch: UInt64 { kind == "dsa" ? 1024 : 1 }
    }

    public func describe(_ hardware: HardwareConfig) throws -> ParentSpec {
        let device = try Device(hardware)
        var types = [dedicated(device)]
        if !device.sharedSizes.isEmpty { types.append(slice(device)) }
        return ParentSpec(
            vendor: "Intel Corporation", types: types,
            counters: [CounterSpec(name: "wqs", total: UInt64(device.dedicatedWQs.count)),
                       CounterSpec(name: "wq-entries", total: device.dedicatedEntries),
                       CounterSpec(name: "swq-entries", total: device.thresholds.reduce(0, +)),
                       CounterSpec(name: "pasids", total: device.pasids)])
    }

    func dedicated(_ device: Device) -> TypeSpec {
        TypeSpec(
            name: "dwq", typeClass: .wq,
            description: "dedicated work queue: one whole WQ of the \(device.kind), with its own PASID",
            params: [
                ParamSchema(name: "wq-size", kind: .u32, min: 1, max: max(1, device.dedicatedEntries), defaultValue: .int(16),
                            doc: "Entries of the WQ, taken from the device's shared wq-entries."),
                ParamSchema(name: "priority", kind: .u8, min: 1, max: 15, defaultValue: .int(10), mutable: true,
                            doc: "Arbitration priority of the WQ among the WQs of its group."),
                ParamSchema(name: "group", kind: .u8, min: 0, max: device.groups - 1, defaultValue: .int(0),
                            doc: "Group whose engines run the WQ's descriptors."),
                ParamSchema(name: "max-transfer-size", kind: .u32, min: 1, max: device.maxTransfer, defaultValue: .int(device.maxTransfer),
                            doc: "Largest transfer one descriptor may ask for, in bytes."),
                ParamSchema(name: "max-batch-size", kind: .u32, min: 1, max: device.maxBatch, defaultValue: .int(device.maxBatch),
                            doc: "Most descriptors one batch descriptor may carry."),
                ParamSchema(name: "ats-disable", kind: .bool, defaultValue: .int(0),
                            doc: "Whether the WQ translates addresses without ATS."),
                ParamSchema(name: "prs-disable", kind: .bool, defaultValue: .int(0),
                            doc: "Whether page requests are off, so faults complete descriptors with an error."),
                ParamSchema(name: "block-on-fault", kind: .bool, defaultValue: .int(0),
                            doc: "Whether a page fault blocks the WQ instead of completing the descriptor with an error."),
            ],
            capabilities: [
                .string("device", device.kind, doc: "dsa (data streaming) or iax (analytics)."),
                .int("engines", .u32, device.engines, doc: "Engines of the device, shared by its groups."),
                .int("groups", .u32, device.groups, doc: "Groups a WQ can be placed in."),
                .string("mode", "dedicated", doc: "One client submits with MOVDIR64B."),
            ])
    }

    func slice(_ device: Device) -> TypeSpec {
        let largest = device.thresholds.max() ?? 1
        return TypeSpec(
            name: "swq-slice", typeClass: .wq,
            description: "slice of a shared work queue: many per WQ, each with its own PASID",
            params: [
                ParamSchema(name: "entries", kind: .u32, min: 1, max: largest, defaultValue: .int(min(4, largest)),
                            doc: "Entries of the shared WQ's threshold kept for this slice's submissions."),
            ],
            capabilities: [
                .string("device", device.kind, doc: "dsa (data streaming) or iax (analytics)."),
                .string("mode", "shared", doc: "Clients submit with ENQCMD, tagged with their PASID."),
                .int("shared-wqs", .u32, UInt64(device.sharedSizes.count), doc: "Shared WQs slices are carved from."),
            ])
    }

    public func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        let device = try Device(parent.hardware)
        switch type.name {
        case "dwq":
            let size = params["wq-size"]?.int ?? 16
            // With every dedicated WQ taken the wqs counter is spent too:
            // the host's check names it.
            guard let wq = device.dedicatedWQs.first(where: { !parent.placements.contains($0) }) else {
                return Allocation(counters: ["wqs": 1, "wq-entries": size], pasid: true)
            }
            return Allocation(counters: ["wqs": 1, "wq-entries": size], placement: wq, pasid: true,
                              details: [.int("wq-id", .u32, wq, doc: "The WQ, as accel-config numbers it.")])
        case "swq-slice":
            let entries = params["entries"]?.int ?? 4
            let free = freePerSharedWQ(device, parent)
            guard let wq = free.indices.first(where: { free[$0] >= entries }) else {
                // Short in all: the host's check names the counter. Enough
                // in all but split across shared WQs: say so.
                if parent.free("swq-entries") < entries { return Allocation(counters: ["swq-entries": entries], pasid: true) }
                throw PluginError.noSpace("no shared WQ has \(entries) free entries for a swq-slice (the most free on one is \(free.max() ?? 0))")
            }
            return Allocation(counters: ["swq-entries": entries], pasid: true,
                              details: [.int("wq-id", .u32, UInt64(wq), doc: "The shared WQ the slice submits to.")])
        default:
            throw PluginError.invalid("idxd offers no type \(type.name)")
        }
    }

    /// Entries under the threshold still free on each shared WQ, by WQ id.
    func freePerSharedWQ(_ device: Device, _ parent: ParentState) -> [UInt64] {
        var free = device.thresholds
        for instance in parent.instances where instance.type == "swq-slice" {
            if let wq = instance.allocation.details.first(where: { $0.name == "wq-id" })?.value.int, Int(wq) < free.count {
                free[Int(wq)] -= min(free[Int(wq)], instance.allocation.counters["swq-entries"] ?? 0)
            }
        }
        return free
    }
}
