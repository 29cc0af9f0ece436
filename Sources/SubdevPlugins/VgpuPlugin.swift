import SubdevPlugin

/// NVIDIA-like virtual GPUs: profiles by framebuffer share, in series
/// Q (workstation), B (virtual PC), C (compute) and A (virtual apps).
///
/// Hardware description:
///
/// ```yaml
/// driver: vgpu
/// config:
///   model: A40                # names the profiles: A40-8Q
///   framebuffer: 48GiB
///   placement: homogeneous    # or mixed
///   series: [Q, B, C, A]      # which series to offer (default all)
/// ```
///
/// In homogeneous placement every vGPU on a GPU has the same profile, as
/// NVIDIA's default time-sliced mode demands: once one exists, other
/// profiles have no room. In mixed placement profiles of different sizes
/// share the GPU; each instance sits at a placement id, its framebuffer
/// offset in GiB, which is a multiple of its size.
public struct VgpuPlugin: DevicePlugin {
    public init() {}

    public let driver = "vgpu"

    static let gib: UInt64 = 1 << 30

    /// A series: its letter, profile sizes in GiB, and what its vGPUs offer.
    struct Series {
        let letter: String
        let sizes: [UInt64]
        let heads: UInt64
        let maxResolution: String
        let frameRateLimit: UInt64?
        let display: Display
        let migratable: Bool
        let summary: String
    }

    static let series: [Series] = [
        Series(letter: "Q", sizes: [1, 2, 3, 4, 6, 8, 12, 16, 24, 48], heads: 4, maxResolution: "7680x4320",
               frameRateLimit: 60, display: .dmabuf, migratable: true, summary: "virtual workstation"),
        Series(letter: "B", sizes: [1, 2], heads: 4, maxResolution: "5120x2880",
               frameRateLimit: 45, display: .dmabuf, migratable: true, summary: "virtual PC"),
        Series(letter: "C", sizes: [4, 6, 8, 12, 16, 24, 48], heads: 0, maxResolution: "none",
               frameRateLimit: nil, display: .none, migratable: true, summary: "compute"),
        Series(letter: "A", sizes: [1, 2, 3, 4, 6, 8, 12, 16, 24, 48], heads: 1, maxResolution: "1280x1024",
               frameRateLimit: 60, display: .region, migratable: false, summary: "virtual applications"),
    ]

    public func describe(_ hardware: HardwareConfig) throws -> ParentSpec {
        try hardware.allowOnly(["model", "framebuffer", "placement", "series"])
        let model = try hardware.string("model", default: "A40")
        let framebuffer = try hardware.bytes("framebuffer", in: Self.gib...(1 << 44), default: 48 * Self.gib)
        guard framebuffer % Self.gib == 0 else {
            throw try hardware.require("framebuffer").error("framebuffer must be a whole number of GiB")
        }
        let placement = try hardware.choice("placement", ["homogeneous", "mixed"], default: "homogeneous")
        let letters = try hardware.child("series").map { node in
            try node.items().map { try $0.choice(Self.series.map(\.letter)) }
        } ?? Self.series.map(\.letter)
        var types: [TypeSpec] = []
        for series in Self.series where letters.contains(series.letter) {
            for size in series.sizes where size * Self.gib <= framebuffer && (framebuffer / Self.gib) % size == 0 {
                types.append(profile(series, size: size, model: model, framebuffer: framebuffer, mixed: placement == "mixed"))
            }
        }
        return ParentSpec(vendor: "NVIDIA Corporation", types: types,
                          counters: [CounterSpec(name: "fb-bytes", total: framebuffer)])
    }

    func profile(_ series: Series, size: UInt64, model: String, framebuffer: UInt64, mixed: Bool) -> TypeSpec {
        let name = "\(model)-\(size)\(series.letter)"
        var params: [ParamSchema] = []
        if let limit = series.frameRateLimit {
            params.append(ParamSchema(name: "frame-rate-limit", kind: .u32, min: 0, max: 240, defaultValue: .int(limit),
                                      mutable: true, doc: "Frames per second the vGPU may render; 0 lifts the limit."))
        }
        if mixed {
            params.append(ParamSchema(name: "placement-id", kind: .u32, min: 0, max: framebuffer / Self.gib - size, optional: true,
                                      doc: "Framebuffer offset in GiB, a multiple of \(size); the lowest free one when left out."))
        }
        var capabilities: [Fact] = [
            .int("fb-bytes", .u64, size * Self.gib, doc: "Framebuffer of the vGPU."),
            .string("series", series.letter, doc: series.summary),
            .int("heads", .u8, series.heads, doc: "Displays the vGPU drives."),
            .string("max-resolution", series.maxResolution, doc: "Largest resolution per head."),
        ]
        capabilities.append(.string("placement", mixed ? "mixed" : "homogeneous", doc: "How profiles share the GPU."))
        return TypeSpec(
            name: name, typeClass: .vgpu,
            description: "\(series.summary) vGPU with \(size) GiB of framebuffer",
            params: params, display: series.display,
            migration: series.migratable
                ? Migration(supported: true, compatibility: "vgpu;model=\(model);profile=\(name);abi=1")
                : .unsupported,
            capabilities: capabilities)
    }

    /// A vGPU's state moves between GPUs of the same model and profile, to
    /// a vGPU manager that speaks the source's ABI or a newer one. Mutable
    /// parameters (the frame-rate limit) and where the framebuffer sits
    /// (placement) are not part of the state.
    public func migrationProblems(from source: MigrationSide, to destination: MigrationSide, type: TypeSpec) -> [String] {
        var problems = MigrationRules.migratable(source, destination, type: type)
        guard let from = source.compatibility, let to = destination.compatibility else { return problems }
        let have = MigrationRules.fields(from), want = MigrationRules.fields(to)
        guard have[""] == "vgpu" else {
            return problems + ["the source is not a vGPU: its migration-compat is \(from)"]
        }
        for key in ["model", "profile"] where have[key] != want[key] {
            problems.append("\(key) differs: \(have[key] ?? "none") on the source, \(want[key] ?? "none") on the destination")
        }
        if let sourceABI = have["abi"].flatMap(UInt32.init), let destinationABI = want["abi"].flatMap(UInt32.init) {
            if destinationABI < sourceABI {
                problems.append("the destination's vGPU manager speaks abi \(destinationABI), older than the source's \(sourceABI), and cannot read its state")
            }
        } else {
            problems.append("abi is missing or not a number in \(have["abi"] == nil ? from : to)")
        }
        return problems + MigrationRules.fixedParams(source, destination, type: type, ignoring: ["placement-id"])
    }

    static func size(of type: TypeSpec) throws -> UInt64 {
        guard let bytes = type.capabilities.first(where: { $0.name == "fb-bytes" })?.value.int, bytes > 0 else {
            throw PluginError.invalid("type \(type.name) has no framebuffer size")
        }
        return bytes
    }

    static func isMixed(_ type: TypeSpec) -> Bool {
        type.capabilities.contains { $0.name == "placement" && $0.value == .string("mixed") }
    }

    public func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        let size = try Self.size(of: type)
        let total = parent.spec.counters.first { $0.name == "fb-bytes" }?.total ?? 0
        if !Self.isMixed(type), let other = parent.instances.first(where: { $0.type != type.name }) {
            throw PluginError.noSpace("placement is homogeneous and the GPU holds \(other.type) vGPUs: \(type.name) fits only when they are gone")
        }
        let free = Self.freeSlots(size: size, total: total, in: parent)
        let offset: UInt64
        if let wanted = params["placement-id"]?.int {
            offset = wanted * Self.gib
            guard offset % size == 0 else {
                throw PluginError.invalid("placement-id \(wanted) is not a multiple of \(size / Self.gib) GiB, the size of \(type.name)")
            }
            guard free.contains(offset) else {
                throw PluginError.noSpace("placement-id \(wanted) of \(type.name) overlaps a vGPU already placed")
            }
        } else {
            guard let lowest = free.first else {
                // Short of framebuffer: the host names the counter. Enough
                // of it, but in pieces: say so.
                if parent.free("fb-bytes") < size { return Allocation(counters: ["fb-bytes": size]) }
                throw PluginError.noSpace("no free \(size / Self.gib) GiB slot at a multiple of its size for \(type.name): the free fb-bytes are fragmented")
            }
            offset = lowest
        }
        return Allocation(counters: ["fb-bytes": size], placement: offset,
                          details: [.int("fb-offset", .u64, offset, doc: "Framebuffer offset in bytes."),
                                    .int("placement-id", .u32, offset / Self.gib, doc: "Framebuffer offset in GiB.")])
    }

    public func available(type: TypeSpec, in parent: ParentState) -> UInt32? {
        guard let size = try? Self.size(of: type) else { return 0 }
        if !Self.isMixed(type), parent.instances.contains(where: { $0.type != type.name }) { return 0 }
        let total = parent.spec.counters.first { $0.name == "fb-bytes" }?.total ?? 0
        // Aligned slots of one size never overlap each other, so every free
        // one can be filled: their number is what fits.
        return UInt32(Self.freeSlots(size: size, total: total, in: parent).count)
    }

    /// Offsets, multiples of `size`, where a vGPU of `size` bytes fits
    /// without overlapping the framebuffer of any vGPU on `parent`.
    static func freeSlots(size: UInt64, total: UInt64, in parent: ParentState) -> [UInt64] {
        let taken = parent.instances.compactMap { instance -> ClosedRange<UInt64>? in
            guard let offset = instance.allocation.placement, let bytes = instance.allocation.counters["fb-bytes"], bytes > 0 else { return nil }
            return offset...(offset + bytes - 1)
        }
        return stride(from: UInt64(0), to: total, by: Int(size)).filter { offset in
            offset + size <= total && !taken.contains { $0.overlaps(offset...(offset + size - 1)) }
        }
    }
}
