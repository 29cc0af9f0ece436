import Netlink
import SubdevPlugin
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// A parameter as a request carries it, with where it sits in the message
/// so that an error can point at it.
public struct RequestParam: Sendable {
    public var name: String
    public var value: ParamValue
    /// Offset of the param nest from the start of the message.
    public var offset: Int

    public init(name: String, value: ParamValue, offset: Int) {
        self.name = name
        self.value = value
        self.offset = offset
    }
}

/// The simulated machine: parents driven by plugins, and the subdevices
/// carved out of them.
///
/// Plugins plan, the machine applies: every plan is checked against the
/// parent's counters and placements and applied whole, so a method that
/// throws has changed nothing, whatever the plugin did.
///
/// Not thread-safe; the model's server runs every handler on one thread,
/// as the kernel's `genl_mutex` serialises a family's handlers.
public struct Machine: Sendable {
    /// Present parents. Only hotplug adds or removes one, and then calls
    /// `parentsMoved()`; a change to one in place (its generation, on every
    /// create and delete) leaves the lookups as they are.
    public private(set) var parents: [Parent]
    /// Parents whose slot is empty now: described as not present, or
    /// removed by hotplug. A hotplug add brings one back.
    public private(set) var slots: [Parent]
    /// The subdevices; see `DeviceTable` for what a position is.
    public private(set) var devices = DeviceTable()
    private var parentPositions: [String: Int]
    /// The same by bus and name as a request gives them, so that finding
    /// one builds no handle string.
    private var parentNames: [ParentName: Int]
    /// The same by a hash of the bytes of bus and name, for a request's
    /// attributes, so that finding a parent makes no strings at all; `nil`
    /// when two parents' hashes collide, and strings are made after all.
    private var parentKeys: [UInt64: Int]?
    /// Each present parent's group in `devices` (`GroupID` position) by
    /// parent position, -1 before its first subdevice; and each group's
    /// parent position, -1 while that parent is not present. The way from
    /// a subdevice to its parent and back, without hashing a handle.
    private var groupOfParent: [Int32]
    private var parentOfGroup: [Int32] = []
    private var nextPASID: UInt32 = 1
    /// The machine's capacity clock: ticks on every change of a parent's
    /// capacity, so a generation number is never reused.
    private var clock: UInt64 = 1
    /// Largest number of instances `available` finds by planning one after another.
    static let availabilityProbeLimit: UInt32 = 4096

    public init(parents: [Parent], slots: [Parent] = []) {
        self.parents = parents
        self.slots = slots
        for position in self.parents.indices { self.parents[position].capacityGeneration = clock }
        parentPositions = Self.positions(of: parents)
        parentNames = Self.names(of: parents)
        parentKeys = Self.keys(of: parents)
        groupOfParent = [Int32](repeating: -1, count: parents.count)
    }

    /// What `body` makes of parent `position`, lent where it lies: read
    /// through the array, a parent is copied for each use (its identity
    /// and lists retained and released again). `body` must not change
    /// the machine.
    func withParent<Result>(_ position: Int, _ body: (borrowing Parent) throws -> Result) rethrows -> Result {
        try parents.withUnsafeBufferPointer { parents in try body(parents[position]) }
    }

    /// Finds parents where they are now, after one was added or removed.
    private mutating func parentsMoved() {
        parentPositions = Self.positions(of: parents)
        parentNames = Self.names(of: parents)
        parentKeys = Self.keys(of: parents)
        groupOfParent = [Int32](repeating: -1, count: parents.count)
        parentOfGroup = parentOfGroup.map { _ in -1 }
        for position in parents.indices {
            if let group = devices.group(of: parents[position].handle) { link(group, toParent: position) }
        }
    }

    /// Records that `group` is the group of the parent at `position`.
    private mutating func link(_ group: DeviceTable.GroupID, toParent position: Int) {
        groupOfParent[position] = Int32(group.position)
        while parentOfGroup.count <= group.position { parentOfGroup.append(-1) }
        parentOfGroup[group.position] = Int32(position)
    }

    /// The group of the parent at `position`, if it ever had a subdevice.
    func group(ofParent position: Int) -> DeviceTable.GroupID? {
        position < groupOfParent.count && groupOfParent[position] >= 0 ? DeviceTable.GroupID(position: Int(groupOfParent[position])) : nil
    }

    /// The generation of a present parent's capacity; see `capacityChanged`.
    public func generation(of parent: Parent) -> UInt64 {
        parentIndex(handle: parent.handle).map { parents[$0].capacityGeneration } ?? 0
    }

    /// Parent `position`'s capacity changed: it takes the next generation.
    private mutating func capacityChanged(_ position: Int) {
        clock += 1
        parents[position].capacityGeneration = clock
    }

    private struct ParentName: Hashable {
        var bus: String
        var name: String
    }

    private static func names(of parents: [Parent]) -> [ParentName: Int] {
        Dictionary(parents.enumerated().map { (ParentName(bus: $1.bus, name: $1.name), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Each parent's position by the hash of its names; `nil` when two
    /// hashes collide. `hash` is FNV-1a (`key`) but for tests, which need
    /// a collision.
    static func keys(of parents: [Parent],
                     hash: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> UInt64 = { key(bus: $0, name: $1) }) -> [UInt64: Int]? {
        var keys: [UInt64: Int] = [:]
        for (position, parent) in parents.enumerated() {
            var bus = parent.bus, name = parent.name
            let key = bus.withUTF8 { bus in name.withUTF8 { name in hash(UnsafeRawBufferPointer(bus), UnsafeRawBufferPointer(name)) } }
            guard keys.updateValue(position, forKey: key) == nil else { return nil }
        }
        return keys
    }

    /// Finds parents by strings from now on, as when two parents' hashes
    /// collide (until hotplug moves parents): for tests of that path.
    mutating func forgetParentKeys() {
        parentKeys = nil
    }

    /// FNV-1a over bus, a NUL, and name: a few instructions a byte, where
    /// `String`s would be made, checked and hashed with SipHash.
    private static func key(bus: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bus { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash = hash &* 0x0000_0100_0000_01b3  // the NUL between them
        for byte in name { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    private static func positions(of parents: [Parent]) -> [String: Int] {
        Dictionary(parents.enumerated().map { ($1.handle, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: lookups

    public func parentIndex(bus: String, name: String) -> Int? {
        parentNames[ParentName(bus: bus, name: name)]
    }

    /// The parent named by these bytes, as a request's attributes carry them.
    public func parentIndex(bus: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> Int? {
        guard let keys = parentKeys else {
            return parentIndex(bus: String(decoding: bus, as: UTF8.self), name: String(decoding: name, as: UTF8.self))
        }
        // Every parent has a key of its own, so a request whose key is none
        // of theirs, or whose bytes differ from the key's parent's, names none.
        guard let position = keys[Self.key(bus: bus, name: name)],
              Self.same(parents[position].bus, bus), Self.same(parents[position].name, name) else { return nil }
        return position
    }

    private static func same(_ string: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == bytes.count else { return false }
        return utf8.withContiguousStorageIfAvailable { stored in
            guard let left = stored.baseAddress, let right = bytes.baseAddress else { return stored.count == 0 }
            return memcmp(left, right, stored.count) == 0
        } ?? utf8.elementsEqual(bytes)
    }

    public func parentIndex(handle: String) -> Int? {
        parentPositions[handle]
    }

    public func slotIndex(bus: String, name: String) -> Int? {
        slots.firstIndex { $0.bus == bus && $0.name == name }
    }

    public func deviceIndex(parent: String, index: UInt32) -> Int? {
        devices.position(parent: parent, index: index)
    }

    /// The position of subdevice `index` of the parent at `parentPosition`.
    public func deviceIndex(parentPosition: Int, index: UInt32) -> Int? {
        group(ofParent: parentPosition).flatMap { devices.position(in: $0, index: index) }
    }

    public func deviceIndex(named name: String) -> Int? {
        devices.position(named: name)
    }

    public func deviceIndex(vfio: UInt32) -> Int? {
        devices.position(vfio: vfio)
    }

    /// Parent `parent`'s subdevices, in index order.
    public func devices(of parent: Parent) -> [Subdevice] {
        devices.devices(of: parent.handle)
    }

    /// The parent whose handle is `handle`, if present.
    public func parent(handle: String) -> Parent? {
        parentIndex(handle: handle).map { parents[$0] }
    }

    /// The parent of the subdevice at `position`.
    public func parent(ofDevice position: Int) -> Parent? {
        parentPosition(ofDevice: position).map { parents[$0] }
    }

    /// The position of the parent of the subdevice at `position`, by its
    /// group (every subdevice's group was linked to its parent by `create`).
    public func parentPosition(ofDevice position: Int) -> Int? {
        guard let group = devices.group(ofDevice: position), group.position < parentOfGroup.count,
              parentOfGroup[group.position] >= 0 else { return nil }
        return Int(parentOfGroup[group.position])
    }

    /// The parent as its plugin sees it, without subdevice `excluded`.
    func state(of parent: Parent, excluding excluded: UInt32? = nil) -> ParentState {
        var state = devices.state(of: parent.handle) ?? emptyState(of: parent)
        if let excluded, let slot = state.instances.firstIndex(where: { $0.index == excluded }) {
            state.remove(at: slot)
        }
        return state
    }

    private func emptyState(of parent: Parent) -> ParentState {
        ParentState(hardware: parent.hardware, spec: parent.spec, instances: [])
    }

    /// The parent's counters with what is reserved of each.
    public func counters(of parent: Parent) -> [CounterUsage] {
        let state = devices.state(of: parent.handle)
        return parent.spec.counters.map { counter in
            CounterUsage(name: counter.name, total: counter.total, reserved: state?.reserved(counter.name) ?? 0)
        }
    }

    // MARK: capacity

    /// How many more subdevices of `type`, with default parameters, fit on
    /// `parent` now: the plugin's answer, or found by planning one after
    /// another on a copy until a plan does not fit.
    public func available(_ type: TypeSpec, on parent: Parent) -> UInt32 {
        var state = state(of: parent)
        if let answer = parent.plugin.available(type: type, in: state) {
            // The plugin knows its placement rules; the counters bound it too.
            return min(answer, fitByCounters(Self.defaultCost(type, parent: parent, state: state), parent: parent, state: state))
        }
        let defaults = type.defaults
        var count: UInt32 = 0
        while count < Self.availabilityProbeLimit,
              let plan = try? Self.withPASID(parent.plugin.allocate(type: type, params: defaults, in: state)),
              Self.fits(plan, on: parent, state: state) {
            state.instances.append(InstanceState(index: UInt32.max - count, type: type.name, params: defaults, allocation: plan))
            count += 1
        }
        return count
    }

    /// What one more `type` with default parameters would reserve from
    /// each of the parent's counters it takes from, in the parent's
    /// counter order (PASIDs last); empty when none can be planned now.
    public func instanceCost(_ type: TypeSpec, on parent: Parent) -> [(String, UInt64)] {
        let cost = Self.defaultCost(type, parent: parent, state: state(of: parent))
        return counters(of: parent).compactMap { counter in
            cost[counter.name].flatMap { $0 > 0 ? (counter.name, $0) : nil }
        }
    }

    static func defaultCost(_ type: TypeSpec, parent: Parent, state: ParentState) -> CounterAmounts {
        (try? withPASID(parent.plugin.allocate(type: type, params: type.defaults, in: state)).counters) ?? [:]
    }

    func fitByCounters(_ cost: CounterAmounts, parent: Parent, state: ParentState) -> UInt32 {
        var fit = UInt64(UInt32.max)
        for (name, amount) in cost where amount > 0 {
            fit = min(fit, state.free(name) / amount)
        }
        return UInt32(fit)
    }

    /// A plan with its PASID counted in the `pasids` counter.
    static func withPASID(_ plan: Allocation) -> Allocation {
        var plan = plan
        if plan.pasid { plan.counters["pasids", default: 0] += 1 }
        return plan
    }

    /// Checks `plan` against the parent: `ENOSPC` naming the first counter
    /// (in the plugin's order) it does not fit in; `EIO` for a plan no
    /// correct plugin makes (a counter the parent lacks, a taken placement).
    /// `purpose` is made only for the message of an error.
    static func check(_ plan: Allocation, on parent: Parent, state: ParentState,
                      for purpose: @autoclosure () -> String = "") throws {
        func declared(_ name: String) -> Bool { parent.spec.counters.contains { $0.name == name } }
        // Sorted only to name the first of several in an error: the check
        // itself runs on every create.
        if plan.counters.contains(where: { $0.value > 0 && !declared($0.key) }) {
            for (name, needed) in plan.counters.sorted(by: { $0.key < $1.key }) where needed > 0 && !declared(name) {
                let what = name == "pasids" ? "a PASID" : "\(needed) of \(name)"
                throw NetlinkError(errno: EIO, message: "plugin \(parent.plugin.driver) planned \(what), but \(parent.handle) declares no \(name) counter")
            }
        }
        for counter in parent.spec.counters {
            let needed = plan.counters[counter.name] ?? 0
            guard needed > 0 else { continue }
            let free = state.free(counter.name)
            if needed > free {
                throw NetlinkError(errno: ENOSPC, message: "not enough \(counter.name) on \(parent.handle)\(purpose()): \(needed) needed, \(free) free")
            }
        }
        if let placement = plan.placement, state.placements.contains(placement) {
            throw NetlinkError(errno: EIO, message: "plugin \(parent.plugin.driver) placed it at \(placement), which another subdevice of \(parent.handle) holds")
        }
    }

    /// Whether `plan` fits, for capacity probes.
    static func fits(_ plan: Allocation, on parent: Parent, state: ParentState) -> Bool {
        (try? check(plan, on: parent, state: state)) != nil
    }

    // MARK: changes

    /// Creates a subdevice: checks and completes its parameters, has the
    /// plugin plan it, checks the plan, then gives it the lowest free
    /// index, `vfioN` and PASID.
    public mutating func create(parent parentPosition: Int, type typeName: String, name: String?,
                                adminState: SubdevAdminState, params: [RequestParam],
                                node: NodeAccess = NodeAccess(), ownerPID: Int32? = nil,
                                typeOffset: Int?, nameOffset: Int?) throws -> Subdevice {
        let (device, group) = try prepare(parent: parentPosition, type: typeName, name: name, adminState: adminState, params: params,
                                          node: node, ownerPID: ownerPID, typeOffset: typeOffset, nameOffset: nameOffset)
        insert(device, into: group, parent: parentPosition)
        return device
    }

    /// What `create` makes, checked, planned and numbered, but not yet in
    /// the table, and the group its parent's subdevices are kept in:
    /// `dev-new` registers and encodes it first and then moves it in,
    /// where taking a copy back from `create` cost a copy and its release
    /// on every create. Nothing may create or delete a subdevice between
    /// this and `insert`, which take its index and `vfioN`.
    mutating func prepare(parent parentPosition: Int, type typeName: String, name: String?,
                          adminState: SubdevAdminState, params: [RequestParam],
                          node: NodeAccess = NodeAccess(), ownerPID: Int32? = nil,
                          typeOffset: Int?, nameOffset: Int?) throws -> (device: Subdevice, group: DeviceTable.GroupID) {
        let parent = parents[parentPosition]
        guard let type = parent.type(typeName) else {
            throw NetlinkError(errno: ENOENT, message: "parent \(parent.handle) has no type \(typeName)",
                               offset: typeOffset.map(UInt32.init))
        }
        if let name, name.contains("/") {
            throw NetlinkError(errno: EINVAL, message: "name \(name) must not contain /, so that it never reads as a PARENT/INDEX handle",
                               offset: nameOffset.map(UInt32.init))
        }
        if let name, deviceIndex(named: name) != nil {
            throw NetlinkError(errno: EEXIST, message: "a subdevice named \(name) already exists",
                               offset: nameOffset.map(UInt32.init))
        }
        // The stored copy of these values, as a list and as the dictionary
        // the plugin takes: subdevices made alike share both, and the
        // dictionary is built only for values not seen before.
        let values = devices.shared(params: try Self.complete(params, for: type))
        let group = devices.group(for: parent, known: group(ofParent: parentPosition))
        link(group, toParent: parentPosition)
        let plan = try devices.withState(of: group) { state in
            try Self.plan(parent, type: type, params: values.dictionary, state: state)
        }
        let device = Subdevice(
            parentHandle: parent.handle, index: devices.nextIndex(in: group), name: name, typeName: typeName,
            adminState: adminState, operState: adminState == .up ? .up : .down,
            params: values.list,
            allocation: plan, vfioIndex: devices.nextVFIO,
            pasid: plan.pasid ? takePASID() : nil, node: node, ownerPID: ownerPID)
        return (device, group)
    }

    /// Puts a subdevice `prepare` made for parent `parentPosition` in
    /// the table, moved in.
    mutating func insert(_ device: consuming Subdevice, into group: DeviceTable.GroupID, parent parentPosition: Int) {
        devices.insert(device, into: group)
        capacityChanged(parentPosition)
    }

    /// The plugin's checked plan for a new subdevice of `type` on `parent`,
    /// whose view is `state`.
    private static func plan(_ parent: Parent, type: TypeSpec, params values: [String: ParamValue], state: ParentState) throws -> Allocation {
        let plan = Self.withPASID(try Self.plan(parent, type: type) { try parent.plugin.allocate(type: type, params: values, in: state) })
        try Self.check(plan, on: parent, state: state, for: " for a new \(type.name)")
        return plan
    }

    /// Changes the admin state and mutable parameters of subdevice `position`.
    ///
    /// - Returns: whether anything changed.
    public mutating func modify(device position: Int, adminState: SubdevAdminState?, params: [RequestParam]) throws -> Bool {
        var device = devices[position]
        guard let parentPosition = parentPosition(ofDevice: position), case let parent = parents[parentPosition],
              let type = parent.type(device.typeName) else {
            throw NetlinkError(errno: ENODEV, message: "subdevice \(device.handle) lost its parent")
        }
        var values = device.instanceState.params
        for param in params {
            guard let schema = type.param(param.name) else {
                throw NetlinkError(errno: EINVAL, message: "type \(type.name) has no parameter \(param.name)", offset: UInt32(param.offset))
            }
            if let problem = schema.problem(with: param.value) {
                throw NetlinkError(errno: EINVAL, message: problem, offset: UInt32(param.offset))
            }
            if values[param.name] != param.value, !schema.mutable {
                throw NetlinkError(errno: EOPNOTSUPP, message: "\(param.name) cannot change while the subdevice exists", offset: UInt32(param.offset))
            }
            values[param.name] = param.value
        }
        let paramsChanged = values != device.instanceState.params
        let stateChanged = adminState.map { $0 != device.adminState } ?? false
        guard paramsChanged || stateChanged else { return false }
        if paramsChanged {
            let state = state(of: parent, excluding: device.index)
            let instance = device.instanceState
            var plan = try Self.plan(parent, type: type) {
                try parent.plugin.reallocate(instance, type: type, params: values, in: state)
            }
            plan.pasid = device.allocation.pasid
            let counted = Self.withPASID(plan)
            try Self.check(counted, on: parent, state: state, for: " for \(device.handle)")
            device.allocation = counted
            device.params = device.params.map { ($0.name, values[$0.name] ?? $0.value) }
            capacityChanged(parentPosition)
        }
        if let adminState {
            device.adminState = adminState
            if device.operState == .up || device.operState == .down {
                device.operState = adminState == .up ? .up : .down
            }
        }
        devices.update(position, device)
        return true
    }

    /// Sets the operational state of subdevice `position` (`removing`, ...).
    public mutating func setOperState(device position: Int, _ state: SubdevOperState) {
        devices.touch(position) { $0.operState = state }
    }

    /// Deletes subdevice `position`; what it held returns to its parent.
    public mutating func delete(device position: Int) -> Subdevice {
        delete(device: position, parentPosition: parentPosition(ofDevice: position))
    }

    /// Deletes subdevice `position`, whose parent the caller found at
    /// `parentPosition` (`nil`: it has none).
    mutating func delete(device position: Int, parentPosition: Int?) -> Subdevice {
        take(device: position, parentPosition: parentPosition).device
    }

    /// Deletes subdevice `position` as `delete` does, and says which
    /// group of the table its parent's subdevices were kept in.
    mutating func take(device position: Int, parentPosition: Int?) -> (device: Subdevice, group: DeviceTable.GroupID) {
        let (device, instance, group) = devices.removeFromGroup(position)
        if let parentPosition {
            let plugin = parents[parentPosition].plugin
            // The parent's view as the table keeps it: with this subdevice
            // gone, and empty when it was the last.
            devices.withState(of: group) { state in plugin.destroy(instance ?? device.instanceState, in: state) }
            capacityChanged(parentPosition)
        }
        return (device, group)
    }

    // MARK: errors and hotplug

    /// Counts an error of `severity` on subdevice `position`.
    public mutating func countError(device position: Int, _ severity: SubdevAerSeverity) {
        devices.touch(position) { $0.aerStats.count(severity) }
    }

    /// Counts an error of `severity` reported on parent `position` itself.
    public mutating func countError(parent position: Int, _ severity: SubdevAerSeverity) {
        parents[position].aerStats.count(severity)
    }

    /// Resets subdevice `position` through its plugin, as a recovery's
    /// slot reset; what it holds stays reserved.
    ///
    /// - Throws: `NetlinkError` with the plugin's reason when the reset fails.
    public mutating func reset(device position: Int) throws {
        let device = devices[position]
        guard let parent = parent(ofDevice: position) else {
            throw NetlinkError(errno: ENODEV, message: "subdevice \(device.handle) lost its parent")
        }
        do {
            try parent.plugin.reset(device.instanceState, in: state(of: parent, excluding: device.index))
        } catch let error as PluginError {
            throw NetlinkError(errno: error.errno, message: "plugin \(parent.plugin.driver) could not reset \(device.handle): \(error.message)")
        } catch {
            throw NetlinkError(errno: EIO, message: "plugin \(parent.plugin.driver) could not reset \(device.handle): \(error)")
        }
        devices.touch(position) { $0.aerStats.resets += 1 }
    }

    /// Takes parent `position` out of the machine into its slot; it must
    /// have no subdevices left.
    public mutating func removeParent(_ position: Int) -> Parent {
        var parent = parents.remove(at: position)
        devices.renewEmptiedGroup(of: parent)
        parentsMoved()
        parent.aerStats = AERStats()
        slots.append(parent)
        return parent
    }

    /// Brings the parent in slot `position` back, after the present ones.
    public mutating func addParent(slot position: Int) -> Parent {
        let parent = slots.remove(at: position)
        parents.append(parent)
        parentsMoved()
        capacityChanged(parents.count - 1)
        return parent
    }

    /// Runs a plugin's planning and turns its errors into netlink errors.
    static func plan(_ parent: Parent, type: TypeSpec, _ body: () throws -> Allocation) throws -> Allocation {
        do {
            return try body()
        } catch let error as PluginError {
            throw NetlinkError(errno: error.errno, message: error.message)
        } catch {
            throw NetlinkError(errno: EIO, message: "plugin \(parent.plugin.driver) failed to plan a \(type.name): \(error)")
        }
    }

    /// Checks request parameters against the type's schema and fills in
    /// defaults: every value, in schema order, optional ones left out
    /// absent. A type has a handful of parameters, so they are matched by
    /// name in a scan rather than hashed.
    static func complete(_ params: [RequestParam], for type: TypeSpec) throws -> [(name: String, value: ParamValue)] {
        // What the loop below makes of no parameters, made once per type.
        if params.isEmpty, let values = type.valuesWhenNoneGiven { return values }
        for (position, param) in params.enumerated() {
            guard let schema = type.param(param.name) else {
                throw NetlinkError(errno: EINVAL, message: "type \(type.name) has no parameter \(param.name)", offset: UInt32(param.offset))
            }
            if params[..<position].contains(where: { $0.name == param.name }) {
                throw NetlinkError(errno: EINVAL, message: "parameter \(param.name) is given twice", offset: UInt32(param.offset))
            }
            if let problem = schema.problem(with: param.value) {
                throw NetlinkError(errno: EINVAL, message: problem, offset: UInt32(param.offset))
            }
        }
        var values: [(name: String, value: ParamValue)] = []
        let schemas = type.params
        values.reserveCapacity(schemas.count)
        // By position: each schema is read in place, where `for schema in`
        // copied each out, retaining its strings and lists, on every create.
        for position in schemas.indices {
            let name = schemas[position].name
            if let given = params.first(where: { $0.name == name }) {
                values.append((name, given.value))
            } else if let value = schemas[position].defaultValue {
                values.append((name, value))
            } else if !schemas[position].optional {
                throw NetlinkError(errno: EINVAL, message: "type \(type.name) needs parameter \(name)")
            }
        }
        return values
    }

    private mutating func takePASID() -> UInt32 {
        while devices.contains(pasid: nextPASID) { nextPASID = nextPASID % 0xFFFFF + 1 }
        defer { nextPASID = nextPASID % 0xFFFFF + 1 }
        return nextPASID
    }
}
