import Foundation
import Netlink
import Subdev
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// Sizes of a run: the full suite, or a smoke that only shows every part works.
struct Sizes: Sendable {
    var floorSync = 20_000
    var floorPipelined = 200_000
    /// Pairs of round trips to the family floor, with and without file calls.
    var familyPairs = 10_000
    var roundTrips = 5_000
    var pipelinedCreates = 100_000
    var scales = [1_000, 100_000, 1_000_000]
    /// Sizes measured with device nodes, each a descriptor of the model's.
    var nodeScales = [1_000, 10_000]
    var probe = 2_000
    /// Creates, deletes and dumped subdevices counted under callgrind (P2i, P3i), which runs the model about fifty times slower.
    var instructionOps = 5_000
    var subscribers = 100
    var events = 10_000
    var coldStarts = 20
    var parents = 1_000
    var ports = 1_024

    static let smoke = Sizes(floorSync: 2_000, floorPipelined: 20_000, familyPairs: 1_000, roundTrips: 300, pipelinedCreates: 2_000,
                             scales: [100, 1_000, 5_000], nodeScales: [100, 1_000], probe: 200, instructionOps: 200, subscribers: 10, events: 200, coldStarts: 3,
                             parents: 20, ports: 1_024)
}

/// The suite: each figure measured against its floor in the same run.
struct Suite {
    let sizes: Sizes
    let binaries: URL
    let programs: CPrograms
    let scratch: URL
    /// Where to keep the callgrind profiles of P2i and P3i; nil drops them with the scratch directory.
    let profiles: URL?
    var report: Report

    // MARK: the floor

    mutating func measureFloor() throws {
        // The family floor's files go beside the models' roots, on tmpfs.
        let output = try run(programs.floor, ["--sync", "\(sizes.floorSync)", "--pipelined", "\(sizes.floorPipelined)", "--batch",
                                              "--family", "\(sizes.familyPairs)", "--files", scratch.path])
        let floor = try JSONDecoder().decode(FloorFigures.self, from: Data(output.utf8))
        report.floor = floor
        report.add(Figure("F", "floor: raw netlink round trip, synchronous (median)", value: floor.sync.median_ns / 1000, unit: "µs"))
        report.add(Figure("F", "floor: raw netlink round trip, synchronous (p99)", value: floor.sync.p99_ns / 1000, unit: "µs"))
        report.add(Figure("F", "floor: pipelined, per op (window \(floor.pipelined.window))", value: floor.pipelined.per_op_ns / 1000, unit: "µs"))
        if let batch = floor.pipelined_batch {
            // The client waits for a pipeline's answers so; the floor gains
            // little from it, and P2 stays against the plain floor.
            report.add(Figure("Fb", "floor: pipelined, requester under SCHED_BATCH, per op", value: batch.per_op_ns / 1000, unit: "µs",
                              reference: floor.pipelined.per_op_ns / 1000, referenceName: "pipelined floor"))
        }
        let pair = 2 * floor.sync.median_ns / 1000
        if let family = floor.family {
            report.add(Figure("Ff", "family floor in user space: a pair of round trips (median)", value: family.median_ns / 1000, unit: "µs",
                              reference: pair, referenceName: "2 synchronous floor round trips"))
        }
        if let files = floor.family_files {
            report.add(Figure("Ff", "the same with subdevd's file calls for a pair (median)", value: files.median_ns / 1000, unit: "µs",
                              reference: pair, referenceName: "2 synchronous floor round trips"))
        }
    }

    func startModel(port: UInt32, hardware: String? = nil, sysfs: Bool = true, nodes: Bool = true) throws -> ModelProcess {
        try ModelProcess(executable: binaries.appendingPathComponent("subdevd").path, port: port,
                         root: scratch.appendingPathComponent("root-\(port)").path, hardware: hardware, sysfs: sysfs, nodes: nodes)
    }

    // MARK: P1 and P6 on the default machine

    mutating func measureRoundTrips(floor: FloorFigures) async throws {
        let model = try startModel(port: 0x4B00_1001)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let parent = ParentHandle(bus: "virtual", name: "mtty")
        let (pair, create, delete) = try await createAndDelete(on: client, parent: parent)
        let floorPair = 2 * floor.sync.median_ns
        report.add(Figure("P1", "dev-new + dev-del through the Swift client (median)", value: pair.median / 1000, unit: "µs",
                          reference: floorPair / 1000, referenceName: "2 synchronous floor round trips", target: 1.25))
        report.add(Figure("P1", "dev-new + dev-del (p99)", value: pair.p99 / 1000, unit: "µs",
                          reference: 2 * floor.sync.p99_ns / 1000, referenceName: "2 floor p99"))
        report.add(Figure("P1a", "dev-new alone (median)", value: create.median / 1000, unit: "µs",
                          reference: floor.sync.median_ns / 1000, referenceName: "floor round trip"))
        report.add(Figure("P1b", "dev-del alone (median)", value: delete.median / 1000, unit: "µs",
                          reference: floor.sync.median_ns / 1000, referenceName: "floor round trip"))
        if let files = floor.family_files {
            report.add(Figure("P1f", "the same against the family floor with files (median)", value: pair.median / 1000, unit: "µs",
                              reference: files.median_ns / 1000, referenceName: "family floor with files, a pair"))
        }
        // The same on a model that makes neither device nodes nor the sysfs
        // mirror: the control plane's own part of P1.
        do {
            let bare = try startModel(port: 0x4B00_1005, sysfs: false, nodes: false)
            defer { bare.stop() }
            let (pair, _, _) = try await createAndDelete(on: try await SubdevClient.connect(port: bare.port), parent: parent)
            report.add(Figure("P1d", "dev-new + dev-del without device nodes or sysfs (median)", value: pair.median / 1000, unit: "µs",
                              reference: floorPair / 1000, referenceName: "2 synchronous floor round trips"))
            if let family = floor.family {
                report.add(Figure("P1e", "the same against the family floor (median)", value: pair.median / 1000, unit: "µs",
                                  reference: family.median_ns / 1000, referenceName: "family floor, a pair"))
            }
        }
        var gets: [Double] = []
        for _ in 0..<sizes.roundTrips {
            let start = now()
            _ = try await client.parent(parent)
            gets.append(Double(now() - start))
        }
        report.add(Figure("P1c", "parent-get, a read (median)", value: Sample(gets).median / 1000, unit: "µs",
                          reference: floor.sync.median_ns / 1000, referenceName: "floor round trip"))

        // P6: a cold start of the CLI against a few subdevices.
        _ = try await client.createDevices((0..<8).map { _ in NewDevice(parent: parent, type: "mtty-1") })
        let cli = binaries.appendingPathComponent("subdev").path
        let environment = ["SUBDEV_NL_PORT": "\(model.port)"]
        let ours = try coldStart { _ = try run(cli, ["dev", "show"], environment: environment) }
        let theirs = try coldStart { _ = try run("/usr/sbin/genl", ["ctrl", "list"]) }
        report.add(Figure("P6", "`subdev dev show` cold start (median)", value: ours / 1_000_000, unit: "ms",
                          reference: theirs / 1_000_000, referenceName: "genl ctrl list", target: 2))
    }

    /// `sizes.roundTrips` pairs of `dev-new` and `dev-del`, after a tenth as
    /// many for warm-up: the pair, the create and the delete times.
    private func createAndDelete(on client: SubdevClient, parent: ParentHandle) async throws -> (pair: Sample, create: Sample, delete: Sample) {
        var pairs: [Double] = [], creates: [Double] = [], deletes: [Double] = []
        for round in 0..<(sizes.roundTrips + sizes.roundTrips / 10) {
            let start = now()
            let device = try await client.createDevice(parent: parent, type: "mtty-1")
            let created = now()
            try await client.deleteDevice(device.handle)
            let end = now()
            guard round >= sizes.roundTrips / 10 else { continue }  // warm-up
            pairs.append(Double(end - start))
            creates.append(Double(created - start))
            deletes.append(Double(end - created))
        }
        return (Sample(pairs), Sample(creates), Sample(deletes))
    }

    private func coldStart(_ body: () throws -> Void) throws -> Double {
        try body()  // warm the page cache
        var times: [Double] = []
        for _ in 0..<sizes.coldStarts {
            let start = now()
            try body()
            times.append(Double(now() - start))
        }
        return Sample(times).median
    }

    // MARK: P2, P5, P3 on a machine with room for a million

    /// A model of `sizes.parents` mtty cards and a client with a generous timeout.
    private func scaleModel(port: UInt32, nodes: Bool) async throws -> (ModelProcess, SubdevClient) {
        let hardware = scratch.appendingPathComponent("scale.yaml").path
        try writeScaleHardware(to: hardware, parents: sizes.parents, ports: sizes.ports)
        let model = try startModel(port: port, hardware: hardware, sysfs: false, nodes: nodes)
        return (model, try await SubdevClient.connect(port: model.port, timeout: 60))
    }

    /// Creates subdevices of type mtty-1 round-robin over the parents, pipelined.
    struct Creator {
        let client: SubdevClient
        let parents: [ParentHandle]
        var made = 0

        /// In batches of at most 10 000, so the client's memory stays small
        /// and does not weigh on the figures at a million.
        mutating func create(_ count: Int) async throws -> [DeviceHandle] {
            var handles: [DeviceHandle] = []
            handles.reserveCapacity(count)
            var left = count
            while left > 0 {
                let chunk = min(left, 10_000), start = made
                let batch = (0..<chunk).map { NewDevice(parent: parents[(start + $0) % parents.count], type: "mtty-1") }
                made += chunk
                left -= chunk
                for outcome in try await client.createDevices(batch, window: 64) { handles.append(try outcome.get().handle) }
            }
            return handles
        }

        mutating func delete(_ handles: [DeviceHandle]) async throws {
            for outcome in try await client.deleteDevices(handles) { try outcome.get() }
            made -= handles.count
        }
    }

    /// Memory and the cost of one more subdevice at each of `sizes`, on a
    /// fresh model.
    ///
    /// The reference for each size's cost is a second model, held at the
    /// first size, probed in turn with it: the VM's speed drifts over the
    /// minute it takes to grow to a million, and a reference measured at
    /// the start would carry that drift into the ratio.
    private mutating func grow(_ creator: inout Creator, model: ModelProcess, reference: inout Creator,
                               referenceModel: ModelProcess, to scales: [Int], label: String,
                               listingAt listing: Int? = nil) async throws {
        guard let first = scales.first else { return }
        var present = 0
        _ = try await reference.create(first)
        for size in scales {
            _ = try await creator.create(size - present)
            present = size
            let rss = model.residentBytes
            // The median of three probes each: one batch of a few thousand
            // is at the mercy of a single stall on a shared machine.
            var costs: [Double] = [], referenceCosts: [Double] = [], cpu: [Double] = [], referenceCPU: [Double] = []
            for _ in 0..<3 {
                let probed = try await probe(&creator, model: model), beside = try await probe(&reference, model: referenceModel)
                costs.append(probed.wall)
                referenceCosts.append(beside.wall)
                if let mine = probed.modelCPU, let theirs = beside.modelCPU {
                    cpu.append(mine)
                    referenceCPU.append(theirs)
                }
            }
            let cost = Sample(costs).median, referenceCost = Sample(referenceCosts).median
            report.add(Figure("P5", "subdevd resident memory at \(size) \(label)", value: Double(rss) / 1_048_576, unit: "MiB",
                              target: size >= 1_000_000 ? 512 : nil))
            report.add(Figure("P5", "dev-new per op at \(size) \(label)", value: cost / 1000, unit: "µs",
                              reference: referenceCost / 1000, referenceName: "per op at \(first), probed beside it",
                              target: size == scales.last && size >= 1_000_000 ? 1.2 : nil))
            if !cpu.isEmpty {
                // The model's own CPU, without the client and the wake-ups,
                // which move the wall time more than the table's size does.
                report.add(Figure("P5c", "model CPU per dev-new at \(size) \(label)", value: Sample(cpu).median / 1000, unit: "µs",
                                  reference: Sample(referenceCPU).median / 1000, referenceName: "model CPU per op at \(first), probed beside it"))
            }
            if size == listing { try measureListing(of: size, model: model) }
        }
    }

    /// P6l: the CLI listing `present` subdevices, as JSON and as text, in
    /// one run each (a listing of 100 000 takes seconds, so one stall
    /// moves it little).
    private mutating func measureListing(of present: Int, model: ModelProcess) throws {
        let cli = binaries.appendingPathComponent("subdev").path
        let environment = ["SUBDEV_NL_PORT": "\(model.port)"]
        var start = now()
        let json = try run(cli, ["-j", "dev", "show"], environment: environment)
        let jsonTime = Double(now() - start)
        start = now()
        let text = try run(cli, ["dev", "show"], environment: environment)
        let textTime = Double(now() - start)
        // Each subdevice's object has one "vfio" member; each text entry a head line and a "  vfio" line.
        let objects = json.components(separatedBy: "\"vfio\":").count - 1
        let entries = text.components(separatedBy: "\n  vfio ").count - 1
        guard objects == present, entries == present else {
            throw BenchError("subdev dev show listed \(objects) subdevices as JSON and \(entries) as text, of \(present)")
        }
        report.add(Figure("P6l", "`subdev -j dev show` of \(present) subdevices", value: jsonTime / 1_000_000, unit: "ms",
                          reference: textTime / 1_000_000, referenceName: "the same as text"))
    }

    /// The time per create of `sizes.probe` more subdevices, deleted
    /// again, and the CPU time `model` spent per create (nil where
    /// /proc/PID/schedstat is missing).
    private func probe(_ creator: inout Creator, model: ModelProcess) async throws -> (wall: Double, modelCPU: Double?) {
        let cpuBefore = model.cpuNanoseconds
        let start = now()
        let made = try await creator.create(sizes.probe)
        let cost = Double(now() - start) / Double(sizes.probe)
        let cpuAfter = model.cpuNanoseconds
        try await creator.delete(made)
        let cpu = cpuBefore.flatMap { before in cpuAfter.map { Double($0 - before) / Double(sizes.probe) } }
        return (cost, cpu)
    }

    /// With device nodes, as far as the model's descriptors allow.
    mutating func measureNodes(floor: FloorFigures) async throws {
        let (model, client) = try await scaleModel(port: 0x4B00_1004, nodes: true)
        defer { model.stop() }
        let room = model.descriptorLimit.map { $0 - 64 } ?? Int.max
        let scales = sizes.nodeScales.filter { $0 + sizes.probe <= room }
        if scales.count < sizes.nodeScales.count {
            report.note("The model may open \(model.descriptorLimit ?? 0) descriptors (RLIMIT_NOFILE, and no CAP_SYS_RESOURCE to raise it), so with device nodes it was measured to \(scales.last ?? 0) subdevices only.")
        }
        var creator = Creator(client: client, parents: scaleParents(sizes.parents))
        report.add(Figure("P5", "subdevd resident memory, no subdevices, with nodes", value: Double(model.residentBytes) / 1_048_576, unit: "MiB"))
        if let count = scales.last {
            let start = now()
            let batch = try await creator.create(count)
            let perCreate = Double(now() - start) / Double(count)
            report.add(Figure("P2n", "dev-new pipelined, \(count) subdevices with nodes, per op", value: perCreate / 1000, unit: "µs",
                              reference: floor.pipelined.per_op_ns / 1000, referenceName: "pipelined floor"))
            try await creator.delete(batch)
        }
        let (referenceModel, referenceClient) = try await scaleModel(port: 0x4B00_1008, nodes: true)
        defer { referenceModel.stop() }
        var reference = Creator(client: referenceClient, parents: scaleParents(sizes.parents))
        try await grow(&creator, model: model, reference: &reference, referenceModel: referenceModel, to: scales, label: "with nodes")
    }

    /// The control plane alone, without device nodes: to a million.
    mutating func measureScale(floor: FloorFigures) async throws {
        let (model, client) = try await scaleModel(port: 0x4B00_1002, nodes: false)
        defer { model.stop() }
        var creator = Creator(client: client, parents: scaleParents(sizes.parents))
        let empty = model.residentBytes
        report.add(Figure("P5", "subdevd resident memory, no subdevices, no nodes", value: Double(empty) / 1_048_576, unit: "MiB"))

        // P2: a batch of creations, pipelined.
        let start = now()
        let batch = try await creator.create(sizes.pipelinedCreates)
        let perCreate = Double(now() - start) / Double(batch.count)
        report.add(Figure("P2", "dev-new pipelined, \(batch.count) subdevices, per op", value: perCreate / 1000, unit: "µs",
                          reference: floor.pipelined.per_op_ns / 1000, referenceName: "pipelined floor", target: 3))
        let deleteStart = now()
        try await creator.delete(batch)
        report.add(Figure("P2a", "dev-del pipelined, per op", value: Double(now() - deleteStart) / Double(batch.count) / 1000, unit: "µs",
                          reference: floor.pipelined.per_op_ns / 1000, referenceName: "pipelined floor"))

        let (referenceModel, referenceClient) = try await scaleModel(port: 0x4B00_1009, nodes: false)
        defer { referenceModel.stop() }
        var reference = Creator(client: referenceClient, parents: scaleParents(sizes.parents))
        try await grow(&creator, model: model, reference: &reference, referenceModel: referenceModel, to: sizes.scales, label: "no nodes",
                       listingAt: sizes.scales.dropFirst().first)
        try await measureDump(of: creator.made, model: model, client: client)
        try await measureTeardown(model: model, client: client, empty: empty)
    }

    /// P5r: the model's memory once its subdevices are all deleted again,
    /// at once and after it rested, against its size before it had any.
    private mutating func measureTeardown(model: ModelProcess, client: SubdevClient, empty: UInt64) async throws {
        let handles = try await client.devices().map(\.handle)
        var deleted = 0
        while deleted < handles.count {
            let chunk = Array(handles[deleted..<min(deleted + 10_000, handles.count)])
            for outcome in try await client.deleteDevices(chunk) { try outcome.get() }
            deleted += chunk.count
        }
        let atOnce = model.residentBytes
        // subdevd trims its heap after resting a second with nothing to serve.
        try await Task.sleep(nanoseconds: 2_000_000_000)
        let rested = model.residentBytes
        report.add(Figure("P5r", "subdevd resident memory, its \(handles.count) subdevices just deleted", value: Double(atOnce) / 1_048_576,
                          unit: "MiB", reference: Double(empty) / 1_048_576, referenceName: "with none, at start"))
        report.add(Figure("P5r", "the same two seconds later, rested", value: Double(rested) / 1_048_576,
                          unit: "MiB", reference: Double(empty) / 1_048_576, referenceName: "with none, at start"))
    }

    /// P3 alone, on a fresh model filled to the largest scale: for working
    /// on the dump without the minute P2 and P5 take first.
    mutating func measureDumpAlone() async throws {
        let (model, client) = try await scaleModel(port: 0x4B00_1006, nodes: false)
        defer { model.stop() }
        var creator = Creator(client: client, parents: scaleParents(sizes.parents))
        _ = try await creator.create(sizes.scales.last ?? 0)
        try await measureDump(of: creator.made, model: model, client: client)
    }

    /// P3: a dump of all `present` subdevices, decoded into Swift values,
    /// against libnl in C.
    private mutating func measureDump(of present: Int, model: ModelProcess, client: SubdevClient) async throws {
        var swift = DumpTimes(), c = DumpTimes()
        for _ in 0..<3 {
            let dumpStart = now(), cpuStart = processCPUNanoseconds(), modelStart = model.cpuNanoseconds
            let devices = try await client.devices()
            swift.add(wall: now() - dumpStart, client: processCPUNanoseconds() - cpuStart, model: modelStart, model.cpuNanoseconds)
            guard devices.count == present else { throw BenchError("the dump found \(devices.count) subdevices of \(present)") }
            let cModelStart = model.cpuNanoseconds
            let output = try run(programs.libnlDump, ["\(model.port)"])
            let figures = try JSONDecoder().decode(DumpFigures.self, from: Data(output.utf8))
            guard figures.count == present else { throw BenchError("libnl-dump found \(figures.count) subdevices of \(present)") }
            // The model's CPU over the C program's whole run includes
            // resolving the family: a few requests, nothing beside a dump.
            c.add(wall: figures.elapsed_ns, client: figures.cpu_ns, model: cModelStart, model.cpuNanoseconds)
        }
        let swiftDump = Sample(swift.wall).median, cDump = Sample(c.wall).median, each = Double(present)
        report.add(Figure("P3", "dump of \(present) subdevices into Swift values", value: swiftDump / 1_000_000, unit: "ms",
                          reference: cDump / 1_000_000, referenceName: "libnl C client, same model", target: 1.5))
        report.add(Figure("P3a", "dump of \(present), per subdevice", value: swiftDump / each, unit: "ns",
                          target: present >= 1_000_000 ? 1000 : nil))
        // Where the time goes on one CPU: each side's own CPU per subdevice.
        report.add(Figure("P3c", "client CPU per dumped subdevice", value: Sample(swift.client).median / each, unit: "ns",
                          reference: Sample(c.client).median / each, referenceName: "libnl C client's CPU"))
        if !swift.model.isEmpty, !c.model.isEmpty {
            report.add(Figure("P3m", "model CPU per dumped subdevice, to the Swift client", value: Sample(swift.model).median / each, unit: "ns",
                              reference: Sample(c.model).median / each, referenceName: "to the C client"))
        }
    }

    /// One side's times over the runs of P3, in nanoseconds.
    private struct DumpTimes {
        var wall: [Double] = [], client: [Double] = [], model: [Double] = []

        /// The model's CPU is kept only when both readings of
        /// /proc/PID/schedstat were had.
        mutating func add(wall: UInt64, client: UInt64, model start: UInt64?, _ end: UInt64?) {
            self.wall.append(Double(wall))
            self.client.append(Double(client))
            if let start, let end { model.append(Double(end - start)) }
        }
    }

    struct DumpFigures: Codable {
        var count: Int
        var elapsed_ns: UInt64
        var cpu_ns: UInt64
    }

    // MARK: P4

    mutating func measureDelivery() async throws {
        let model = try startModel(port: 0x4B00_1003)
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let parent = ParentHandle(bus: "virtual", name: "mtty")
        let device = try await client.createDevice(parent: parent, type: "mtty-1")
        guard let group = client.family.multicastGroups[SubdevMulticastGroup.config.rawValue] else {
            throw BenchError("the family has no config group")
        }
        let subscribers = try Subscribers(count: sizes.subscribers, group: group, senderPort: model.port)
        var latencies: [Double] = []
        latencies.reserveCapacity(sizes.events * sizes.subscribers)
        var lost = 0, overruns = 0
        for event in 0..<sizes.events {
            let sent = now()
            try await client.setDevice(device.handle, params: [("baud", .int(event % 2 == 0 ? 19_200 : 9_600))])
            let outcome = subscribers.collect(one: sent)
            latencies += outcome.latencies
            lost += outcome.missing
            overruns += outcome.overruns
        }
        let sample = Sample(latencies)
        report.add(Figure("P4", "\(sizes.subscribers) subscribers, \(sizes.events) events: delivery p50", value: sample.median / 1000, unit: "µs"))
        report.add(Figure("P4", "delivery p99 (request sent to notification read)", value: sample.p99 / 1000, unit: "µs", target: 500))
        report.add(Figure("P4", "events lost (not reported as overrun)", value: Double(lost), unit: "", target: 0))
        report.add(Figure("P4", "overruns reported", value: Double(overruns), unit: ""))
    }
}
