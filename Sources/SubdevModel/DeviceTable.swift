import SubdevPlugin

/// The subdevices, kept so that every lookup and change a request makes
/// costs the same with a million of them as with ten: stored by `vfioN`
/// (dense, as N is the lowest free number), indexed by parent and index
/// and by name, with each parent's plugin view and counter totals kept up
/// to date as subdevices come and go.
///
/// A subdevice's *position* is its `vfioIndex`; positions stay valid
/// until that subdevice is removed.
///
/// The subdevices themselves are kept by parent, in index order: a dump
/// reads them so. Kept by `vfioN`, the subdevices of a batch made
/// round-robin over a thousand parents lay a thousand apart, and a
/// dump of a million spent a third of the model's time waiting for
/// memory, one cache and TLB miss for each.
public struct DeviceTable: Sendable {
    /// One parent's subdevices.
    struct Group: Sendable {
        /// The subdevices by index; `vacancy` where there is none.
        var records: [Subdevice] = []
        var indices = LowestFree()
        /// What the plugin sees, kept current: instances and their totals.
        var state: ParentState
        /// Where each subdevice index sits in `state.instances`, by index
        /// (dense, as `records`); -1 where there is none. An array, not
        /// a dictionary: nothing is hashed on a create or delete.
        var instancePosition: [Int32] = []

        /// One instance per subdevice, so this is how many there are.
        var count: Int { state.instances.count }

        /// Stores `device` at its index, the lowest free one, with its plugin view.
        mutating func add(_ device: consuming Subdevice, instance: InstanceState) {
            let index = indices.take()
            precondition(index == instance.index, "subdevice inserted as index \(instance.index), but \(index) is next")
            if Int(index) == records.count {
                records.append(device)
            } else {
                while records.count <= Int(index) { records.append(DeviceTable.vacancy) }
                records[Int(index)] = device
            }
            addInstance(instance)
        }

        /// The `vfioN` of subdevice `index`, if there is one.
        func vfio(of index: UInt32) -> UInt32? {
            guard Int(index) < records.count else { return nil }
            let vfio = records[Int(index)].vfioIndex
            return vfio == DeviceTable.vacant ? nil : vfio
        }

        mutating func addInstance(_ instance: InstanceState) {
            let index = Int(instance.index)
            while instancePosition.count <= index { instancePosition.append(-1) }
            instancePosition[index] = Int32(state.instances.count)
            state.append(instance)
        }

        /// Removes subdevice `index`'s instance and returns it; the last
        /// one moves into its slot.
        @discardableResult
        mutating func removeInstance(of index: UInt32) -> InstanceState? {
            guard Int(index) < instancePosition.count, instancePosition[Int(index)] >= 0 else { return nil }
            let slot = Int(instancePosition[Int(index)])
            instancePosition[Int(index)] = -1
            let removed = state.remove(at: slot)
            if slot < state.instances.count {
                instancePosition[Int(state.instances[slot].index)] = Int32(slot)
            }
            return removed
        }
    }

    /// Where a parent's group sits in the table: found by handle once per
    /// request, then used for every step of a create or delete without
    /// hashing the handle again. Valid for the life of the table.
    struct GroupID: Hashable, Sendable {
        let position: Int
    }

    static let vacant = UInt32.max
    /// An emptied group keeps its arrays' room up to this many subdevices.
    static let emptiedGroupRoom = 4

    /// Where the subdevice registered as a `vfioN` is kept: its group
    /// (`GroupID.position`, -1 where no subdevice has that N) and index.
    struct Location: Sendable {
        var group: Int32
        var index: UInt32

        static let none = Location(group: -1, index: 0)
    }

    /// By `vfioN`: a subdevice's parent group is found without hashing its
    /// parent's handle.
    private var locations: [Location] = []
    /// What a group's records hold where no subdevice is: not optionals,
    /// as unwrapping a slot made one more copy of the subdevice each time
    /// it was read (about 200 instructions for each subdevice of a dump).
    /// Allocates nothing; its `vfioIndex` is `vacant`.
    fileprivate static let vacancy = Subdevice(parentHandle: "", index: 0, name: nil, typeName: "", adminState: .down, operState: .down,
                                           params: [], allocation: Allocation(), vfioIndex: DeviceTable.vacant, pasid: nil,
                                           node: NodeAccess(), ownerPID: nil)
    private var vfios = LowestFree()
    /// One group per parent that ever had a subdevice; an emptied group
    /// stays, so that ids stay valid.
    private var groups: [Group] = []
    private var groupIDs: [String: GroupID] = [:]
    private var names: [String: UInt32] = [:]
    /// One stored copy of each distinct plan and parameter list.
    private var shared = SharedValues()
    /// Subdevices with a PASID, so a new one gets a number none holds.
    private var pasids: Set<UInt32> = []
    /// How many subdevices there are.
    public private(set) var count = 0

    init() {}

    // MARK: lookups

    /// The subdevice at `position`, which a lookup returned.
    public subscript(position: Int) -> Subdevice {
        get {
            let location = self.location(of: position)
            return groups[Int(location.group)].records[Int(location.index)]
        }
    }

    /// Where the subdevice at `position` is kept; there must be one.
    private func location(of position: Int) -> Location {
        precondition(isOccupied(position), "no subdevice at position \(position)")
        return locations[position]
    }

    /// The subdevice registered as `vfioN`, if any.
    public func device(vfio: UInt32) -> Subdevice? {
        isOccupied(Int(vfio)) ? self[Int(vfio)] : nil
    }

    public func position(vfio: UInt32) -> Int? {
        isOccupied(Int(vfio)) ? Int(vfio) : nil
    }

    public func position(parent: String, index: UInt32) -> Int? {
        groupIDs[parent].flatMap { position(in: $0, index: index) }
    }

    /// The position of subdevice `index` of `group`'s parent.
    func position(in group: GroupID, index: UInt32) -> Int? {
        groups[group.position].vfio(of: index).map(Int.init)
    }

    /// The group of the subdevice at `position`, if there is one there.
    func group(ofDevice position: Int) -> GroupID? {
        isOccupied(position) ? GroupID(position: Int(locations[position].group)) : nil
    }

    /// Whether a subdevice sits at `position`.
    private func isOccupied(_ position: Int) -> Bool {
        position >= 0 && position < locations.count && locations[position].group >= 0
    }

    /// The group of the subdevice at `position` if its parent is `handle`:
    /// for a caller holding a copy of a subdevice, which may have gone
    /// since, its position taken by another parent's.
    func group(ofDevice position: Int, parent handle: String) -> GroupID? {
        guard let group = group(ofDevice: position), self[position].parentHandle == handle else { return nil }
        return group
    }

    /// Parent `handle`'s group, if it ever had a subdevice.
    func group(of handle: String) -> GroupID? {
        groupIDs[handle]
    }

    public func position(named name: String) -> Int? {
        names[name].map(Int.init)
    }

    public func contains(pasid: UInt32) -> Bool { pasids.contains(pasid) }

    /// How many subdevices parent `handle` has.
    public func count(of parent: String) -> Int { groupIDs[parent].map { groups[$0.position].count } ?? 0 }

    /// Parent `handle`'s subdevices in index order.
    public func devices(of parent: String) -> [Subdevice] {
        guard let id = groupIDs[parent] else { return [] }
        return groups[id.position].records.filter { $0.vfioIndex != Self.vacant }
    }

    /// The subdevices of `parents`, parent by parent in the order given,
    /// each parent's in index order; produced one at a time, for dumps.
    public func inOrder(of parents: [String]) -> OrderedDevices {
        OrderedDevices(table: self, parents: parents)
    }

    /// Subdevices parent by parent, in index order, one at a time.
    ///
    /// Holds each parent's subdevices as the table had them when the
    /// dump began (their arrays, not copies: a change to the table
    /// meanwhile copies the records of the parent it changes).
    public struct OrderedDevices: IteratorProtocol, Sequence {
        /// Each parent's subdevices, by index, in the order asked for.
        private let recordsByParent: [[Subdevice]]
        private var parent = -1
        /// The current parent's subdevices.
        private var records: [Subdevice] = []
        /// The current subdevice's index in `records`.
        private var slot = -1

        fileprivate init(table: DeviceTable, parents: [String]) {
            recordsByParent = parents.map { table.groupIDs[$0].map { table.groups[$0.position].records } ?? [] }
        }

        public mutating func next() -> Subdevice? {
            guard advance() != nil else { return nil }
            return records[slot]
        }

        /// Moves to the next subdevice: `nil` after the last, else whether
        /// it is the first of its parent.
        mutating func advance() -> Bool? {
            var newParent = false
            while true {
                slot += 1
                while slot < records.count {
                    if records[slot].vfioIndex != DeviceTable.vacant { return newParent }
                    slot += 1
                }
                parent += 1
                guard parent < recordsByParent.count else {
                    records = []
                    return nil
                }
                records = recordsByParent[parent]
                slot = -1
                newParent = true
            }
        }

        /// What `body` makes of the subdevice `advance` moved to, read
        /// where it lies: a dump encodes each subdevice so, without
        /// copying it out. The pointer is valid only during `body`.
        func withCurrent<R>(_ body: (UnsafePointer<Subdevice>) -> R) -> R {
            records.withUnsafeBufferPointer { devices in
                precondition(slot >= 0 && slot < devices.count, "no current subdevice")
                return body(devices.baseAddress.unsafelyUnwrapped + slot)
            }
        }
    }

    /// The plugin's view of parent `handle`, a copy; `nil` while it has no
    /// subdevice.
    func state(of parent: String) -> ParentState? {
        guard let id = groupIDs[parent], groups[id.position].count > 0 else { return nil }
        return groups[id.position].state
    }

    /// Parent `handle`'s group, made for it if it has none; `known`, when
    /// the caller has it, saves the lookup by handle.
    mutating func group(for parent: Parent, known: GroupID? = nil) -> GroupID {
        if let id = known ?? groupIDs[parent.handle] { return id }
        let id = GroupID(position: groups.count)
        groups.append(Group(state: ParentState(hardware: parent.hardware, spec: parent.spec, instances: [])))
        groupIDs[parent.handle] = id
        return id
    }

    /// Gives `parent`'s group, if it has one and it is empty, a new view
    /// of the parent, as one plugged in anew would have: called when the
    /// parent goes (hotplug). An emptied group otherwise keeps its view,
    /// whose instances and totals are back to none.
    mutating func renewEmptiedGroup(of parent: Parent) {
        guard let id = groupIDs[parent.handle], groups[id.position].count == 0 else { return }
        groups[id.position] = Group(state: ParentState(hardware: parent.hardware, spec: parent.spec, instances: []))
    }

    /// Calls `body` with the plugin's view of `group`'s parent, found by
    /// id and lent from where the group lies (read through the array's
    /// subscript, it was copied for the call). The view lives only inside
    /// the call, so the table's copy stays uniquely referenced and grows
    /// in place afterwards.
    func withState<Result>(of group: GroupID, _ body: (ParentState) throws -> Result) rethrows -> Result {
        try groups.withUnsafeBufferPointer { groups in try body(groups[group.position].state) }
    }

    /// The lowest free index in `group`, which `insert` will give.
    func nextIndex(in group: GroupID) -> UInt32 {
        groups[group.position].indices.lowest
    }

    /// The lowest free `vfioN`, which `insert` will give.
    var nextVFIO: UInt32 { vfios.lowest }

    // MARK: changes

    /// Adds `device` to `group`, its parent's; its index and `vfioIndex`
    /// must be `nextIndex` and `nextVFIO`.
    ///
    /// Takes the subdevice, and moves it into its slot: borrowed, it was
    /// copied once to be changed and once more to be stored (two copies of
    /// six strings and lists, each retained and released again).
    mutating func insert(_ new: consuming Subdevice, into group: GroupID) {
        var device = new
        let instance = share(&device)
        let vfio = vfios.take()
        precondition(vfio == device.vfioIndex, "subdevice inserted as vfio\(device.vfioIndex), but vfio\(vfio) is next")
        let location = Location(group: Int32(group.position), index: device.index), name = device.name, pasid = device.pasid
        // Changed where it lies: its arrays stay uniquely referenced and grow in place.
        groups[group.position].add(consume device, instance: instance)
        if Int(vfio) == locations.count {
            locations.append(location)
        } else {
            locations[Int(vfio)] = location
        }
        if let name { names[name] = vfio }
        if let pasid { pasids.insert(pasid) }
        count += 1
    }

    /// Replaces the subdevice at `position` with `device`, the same one changed.
    mutating func update(_ position: Int, _ changed: Subdevice) {
        var device = changed
        let instance = share(&device)
        let location = self.location(of: position)
        let old = self[position]
        precondition(old.parentHandle == device.parentHandle && old.index == device.index && old.name == device.name,
                     "update changes only a subdevice's state, params and allocation")
        groups[Int(location.group)].records[Int(location.index)] = device
        groups[Int(location.group)].removeInstance(of: device.index)
        groups[Int(location.group)].addInstance(instance)
    }

    /// Updates only what the plugin never sees (states, counters of errors).
    mutating func touch(_ position: Int, _ body: (inout Subdevice) -> Void) {
        guard isOccupied(position) else { return }
        let location = locations[position]
        body(&groups[Int(location.group)].records[Int(location.index)])
    }

    /// Removes the subdevice at `position` and returns it.
    @discardableResult
    mutating func remove(_ position: Int) -> Subdevice {
        removeWithInstance(position).device
    }

    /// Removes the subdevice at `position` and returns it with its plugin
    /// view as the table kept it (sharing its parameter dictionary), for
    /// the plugin's `destroy`.
    mutating func removeWithInstance(_ position: Int) -> (device: Subdevice, instance: InstanceState?) {
        let (device, instance, _) = removeFromGroup(position)
        return (device, instance)
    }

    /// `removeWithInstance`, with the group the subdevice left, so that the
    /// plugin's view of its parent is found without another lookup.
    mutating func removeFromGroup(_ position: Int) -> (device: Subdevice, instance: InstanceState?, group: GroupID) {
        let location = self.location(of: position)
        let group = GroupID(position: Int(location.group))
        let device = exchange(&groups[group.position].records[Int(location.index)], with: Self.vacancy)
        locations[position] = .none
        vfios.give(device.vfioIndex)
        // Trailing vacancies go, so an emptied table holds no memory.
        while let last = locations.last, last.group < 0 { locations.removeLast() }
        while let last = groups[group.position].records.last, last.vfioIndex == Self.vacant {
            groups[group.position].records.removeLast()
        }
        groups[group.position].indices.give(device.index)
        let instance = groups[group.position].removeInstance(of: device.index)
        // An emptied group keeps its place, and the room of its arrays
        // while it is small: a VMM that makes and deletes one subdevice
        // at a time does not have them allocated and freed each time
        // (about 1.8 k instructions a create and delete, by callgrind).
        // A group that held many starts afresh, as a parent's view with
        // no subdevice: its plugin view's instances and placements kept
        // their room too (about 60 MiB over a thousand parents, after a
        // million subdevices came and went).
        if groups[group.position].count == 0 {
            if groups[group.position].records.capacity <= Self.emptiedGroupRoom {
                groups[group.position].records.removeAll(keepingCapacity: true)
                groups[group.position].indices.reset(keepingCapacity: true)
                groups[group.position].instancePosition.removeAll(keepingCapacity: true)
            } else {
                let state = groups[group.position].state
                groups[group.position] = Group(state: ParentState(hardware: state.hardware, spec: state.spec, instances: []))
            }
        }
        if let name = device.name { names[name] = nil }
        if let pasid = device.pasid { pasids.remove(pasid) }
        count -= 1
        // An emptied table gives back its room by vfioN, as large as the
        // most subdevices it ever held.
        if count == 0 {
            locations = []
            vfios = LowestFree()
        }
        return (device, instance, group)
    }

    /// The stored copy of a parameter list in schema order, with the same
    /// as a dictionary, made once for all subdevices that share it.
    mutating func shared(params list: [(name: String, value: ParamValue)]) -> SharedValues.Params {
        shared.params(list)
    }

    /// Points `device` at the shared copies of its params and plan, and
    /// returns its plugin view built from them.
    private mutating func share(_ device: inout Subdevice) -> InstanceState {
        let params = shared.params(device.params)
        device.params = params.list
        device.allocation = shared.allocation(device.allocation)
        return InstanceState(index: device.index, type: device.typeName, params: params.dictionary, allocation: device.allocation)
    }

}

/// Puts `new` in `slot` and returns what was there, without a copy of either.
private func exchange<Value>(_ slot: inout Value, with new: Value) -> Value {
    var taken = new
    swap(&slot, &taken)
    return taken
}
