import SubdevUAPI

/// The machine `subdevd` serves when given no hardware description: one
/// DSA-like accelerator with work queues and one GPU with a framebuffer.
public enum DefaultMachine {
    /// 1 GiB.
    static let gib: UInt64 = 1 << 30

    public static func make() -> Machine {
        Machine(parents: [accelerator(), gpu()])
    }

    /// An Intel DSA-like device: 8 work queues sharing 128 WQ entries.
    static func accelerator() -> Parent {
        let dedicatedWQ = DeviceType(
            name: "dwq", typeClass: .wq,
            description: "dedicated work queue: one whole WQ of the device",
            params: [
                ParamSchema(name: "wq-size", kind: .u32, min: 1, max: 128, defaultValue: .int(16),
                            doc: "Entries of the WQ, taken from the device's shared 128."),
                ParamSchema(name: "priority", kind: .u8, min: 1, max: 15, defaultValue: .int(10), mutable: true,
                            doc: "Arbitration priority of the WQ among the group's WQs."),
                ParamSchema(name: "block-on-fault", kind: .bool, defaultValue: .int(0),
                            doc: "Whether a page fault blocks the WQ instead of completing the descriptor with an error."),
            ],
            cost: { values in
                guard case .int(let size)? = values["wq-size"] else { return ["wq": 1] }
                return ["wq": 1, "wq-entries": size]
            })
        return Parent(bus: "pci", name: "0000:6a:01.0", vendor: "Intel Corporation", driver: "idxd",
                      iommuGroup: 14, types: [dedicatedWQ], counters: [("wq", 8), ("wq-entries", 128)])
    }

    /// An NVIDIA-like GPU with 48 GiB of framebuffer.
    static func gpu() -> Parent {
        func profile(_ gigabytes: UInt64) -> DeviceType {
            DeviceType(
                name: "vgpu-\(gigabytes)q", typeClass: .vgpu,
                description: "virtual workstation GPU with \(gigabytes) GiB of framebuffer",
                params: [
                    ParamSchema(name: "frame-rate-limit", kind: .u32, min: 0, max: 240, defaultValue: .int(60), mutable: true,
                                doc: "Frames per second the vGPU may render; 0 lifts the limit."),
                ],
                display: .region, migratable: true,
                cost: { _ in ["fb-bytes": gigabytes * gib] })
        }
        return Parent(bus: "pci", name: "0000:3b:00.0", vendor: "NVIDIA Corporation", driver: "vgpu",
                      iommuGroup: 31, types: [profile(8), profile(16)], counters: [("fb-bytes", 48 * gib)])
    }
}
