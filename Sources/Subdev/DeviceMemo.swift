#if canImport(Glibc)
import Glibc
#endif
import Netlink
import SubdevUAPI

/// A value decoded from some bytes, kept with a copy of them, so that the
/// next object of a dump whose bytes are the same gets the value back
/// without decoding them again.
///
/// Values are compared by the bytes they come from, before any decoding:
/// equal bytes decode to equal values, and comparing 100 bytes is cheaper
/// than making three strings and an array from them. (Decoding first and
/// then sharing equal values, tried before, cost more than it saved.)
struct Remembered<Value> {
    private var bytes: [UInt8] = []
    private var value: Value?

    /// The value of the bytes last given, once any were.
    var current: Value? { value }

    /// Makes the value of `raw` current: the remembered one when `raw`
    /// holds the bytes it came from (a hit, returned as `true`), else
    /// what `decode` makes, remembered in its place when `remembering`.
    /// On a hit nothing is copied, not even a reference. Always inlined:
    /// a subdevice's decoding calls it a dozen times, and the optimiser
    /// stopped inlining it once the decoding grew.
    @inline(__always)
    mutating func update(_ raw: UnsafeRawBufferPointer, remembering: Bool = true, _ decode: () throws -> Value) rethrows -> Bool {
        if remembering, value != nil, holds(raw) { return true }
        value = try decode()
        if remembering { keep(raw) }
        return false
    }

    /// Copies `raw` into the room of the last bytes: a batch of creates
    /// round-robin over parents misses on every subdevice, and a new array
    /// each time was an allocation and a free. Not inlined: the decoding
    /// inlines `value(for:_:)` a dozen times, and misses are rare in a dump.
    @inline(never)
    private mutating func keep(_ raw: UnsafeRawBufferPointer) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: raw)
    }

    private func holds(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == raw.count else { return false }
        return bytes.withUnsafeBytes { kept in
            guard let left = kept.baseAddress, let right = raw.baseAddress else { return true }  // both empty
            return memcmp(left, right, raw.count) == 0
        }
    }
}

/// The values of a run of repeated attributes (a subdevice's parameters,
/// its reserved IOVA ranges), remembered by position, and the array the
/// last object made of them: an object whose run is the same byte for
/// byte shares that array and allocates nothing.
struct RememberedRun<Element> {
    private var slots: [Remembered<Element>] = []

    /// Where one object's run is read into.
    struct Reading {
        fileprivate var count = 0
        /// Made only once an element differs from the last object's.
        fileprivate var made: [Element]?
    }

    /// The run the last `finish` ended.
    private(set) var last: [Element] = []

    /// Reads the next element of `reading`'s run from `raw`.
    mutating func next(_ reading: inout Reading, raw: UnsafeRawBufferPointer, remembering: Bool = true,
                       _ decode: () throws -> Element) rethrows {
        let position = reading.count
        if position == slots.count { slots.append(Remembered()) }
        let hit = try slots[position].update(raw, remembering: remembering, decode)
        reading.count += 1
        if reading.made == nil, hit, position < last.count { return }
        if reading.made == nil {
            // The first that differs: the ones before it are the last object's.
            var made = Array(last.prefix(position))
            made.reserveCapacity(4)
            reading.made = made
        }
        // A slot just updated holds its value.
        if let element = slots[position].current { reading.made?.append(element) }
    }

    /// Ends the run `reading` read, which `last` is then; whether it is
    /// the same as the one before, whose array `last` still is.
    mutating func finish(_ reading: Reading) -> Bool {
        if let made = reading.made {
            last = made
            return false
        }
        guard reading.count == last.count else {
            last = Array(last.prefix(reading.count))
            return false
        }
        return true
    }
}

/// What the subdevices of a `dev-get` dump or of a batch of creates carry
/// alike, remembered from one to the next while they are decoded: the
/// values of `DeviceInfo.AlikeFields` and the last object of them. A
/// subdevice whose shared attributes are byte for byte the last one's
/// takes the last one's object, and none of its values is copied, not
/// even a reference; its own values (index, name, states, the numbers of
/// its VFIO registration) are always decoded. One per dump, or per parent
/// in a batch of creates, on the thread that decodes it.
struct DeviceMemo {
    /// Off for a single subdevice: nothing to share it with, and keeping
    /// copies of its bytes would only cost.
    let remembering: Bool
    var bus = Remembered<String>()
    var parentName = Remembered<String>()
    var type = Remembered<String>()
    var migrationCompat = Remembered<String>()
    var params = RememberedRun<ParamSetting>()
    var reservedIOVA = RememberedRun<IOVARangeInfo>()
    var aerStats = Remembered<AERStatsInfo>()
    var devNodeStem = Remembered<String>()
    var sysfsStem = Remembered<String>()
    /// The shared fields of the last subdevice, and which of its
    /// attributes it had.
    private var lastAlike: DeviceInfo.Alike?
    private var lastPresent = Slots()
    /// Whether the last `alike` found the subdevice alike with the one
    /// before: a run goes on, and the next may be decoded from a template.
    private(set) var runGoesOn = false
    /// The last subdevice of a run decoded in full, to decode the next
    /// ones like it from.
    var template: MessageTemplate?

    init(remembering: Bool) {
        self.remembering = remembering
    }

    /// The shared attributes a subdevice has.
    struct Slots: OptionSet {
        let rawValue: UInt16
        static let bus = Slots(rawValue: 1 << 0)
        static let parentName = Slots(rawValue: 1 << 1)
        static let type = Slots(rawValue: 1 << 2)
        static let migrationCompat = Slots(rawValue: 1 << 3)
        static let aerStats = Slots(rawValue: 1 << 4)
        static let vfio = Slots(rawValue: 1 << 5)
        static let devNode = Slots(rawValue: 1 << 6)
        static let sysfsPath = Slots(rawValue: 1 << 7)
    }

    /// What one subdevice's decoding found of its shared attributes.
    struct Reading {
        /// Some attribute's bytes differed from the last subdevice's.
        var missed = false
        var present = Slots()
        var params = RememberedRun<ParamSetting>.Reading()
        var reservedIOVA = RememberedRun<IOVARangeInfo>.Reading()
        var iommuGroup: UInt32?
        var registration: SubdevRegistration?

        @inline(__always)
        mutating func note(_ slot: Slots, hit: Bool) {
            present.insert(slot)
            if !hit { missed = true }
        }
    }

    /// String attribute `found`, made current in `slot`.
    @inline(__always)
    mutating func string(_ slot: Slots, _ found: AttributeDecoder.Found, _ reading: inout Reading) throws {
        let hit: Bool
        switch slot {
        case .bus: hit = try bus.update(found.payload, remembering: remembering) { try found.string() }
        case .parentName: hit = try parentName.update(found.payload, remembering: remembering) { try found.string() }
        case .type: hit = try type.update(found.payload, remembering: remembering) { try found.string() }
        default: hit = try migrationCompat.update(found.payload, remembering: remembering) { try found.string() }
        }
        reading.note(slot, hit: hit)
    }

    /// Path attribute `found` (`.devNode` or `.sysfsPath`): its stem made
    /// current, its number returned.
    @inline(__always)
    mutating func path(_ slot: Slots, _ found: AttributeDecoder.Found, _ reading: inout Reading) throws -> UInt32? {
        let bytes = try found.stringBytes()
        let (split, number) = NumberedPath.split(bytes)
        let stem = UnsafeRawBufferPointer(rebasing: bytes[..<split])
        let decode = { String(decoding: stem, as: UTF8.self) }
        let hit = slot == .devNode ? devNodeStem.update(stem, remembering: remembering, decode)
            : sysfsStem.update(stem, remembering: remembering, decode)
        reading.note(slot, hit: hit)
        return number
    }

    /// The object of a subdevice's shared fields: the last subdevice's
    /// when its shared attributes were the same and the rest are equal,
    /// else a new one, remembered for the next when remembering. Not
    /// inlined, so that the decoding of a subdevice stays small enough
    /// for what it calls per attribute to be inlined.
    ///
    /// - Throws: `ProtocolError` naming a required attribute it lacked.
    @inline(never)
    mutating func alike(_ reading: Reading, node: NodeAccessInfo?, ownerPID: UInt32?, reason: String?,
                        details: [FactInfo], holders: [HolderInfo]) throws -> DeviceInfo.Alike {
        let sameParams = params.finish(reading.params)
        let sameRanges = reading.present.contains(.vfio) ? reservedIOVA.finish(reading.reservedIOVA) : true
        if let last = lastAlike, !reading.missed, sameParams, sameRanges, reading.present == lastPresent,
           last.fields.vfio?.iommuGroup == reading.iommuGroup, last.fields.vfio?.registration == reading.registration,
           last.fields.node == node, last.fields.ownerPID == ownerPID, last.fields.reason == reason,
           // Empty lists, the usual case, are told apart without a call.
           details.isEmpty ? last.fields.details.isEmpty : last.fields.details == details,
           holders.isEmpty ? last.fields.holders.isEmpty : last.fields.holders == holders {
            runGoesOn = true
            return last
        }
        runGoesOn = false
        let present = reading.present
        func required(_ slot: Slots, _ value: String?, _ name: String) throws -> String {
            try ObjectDecoding.require(present.contains(slot) ? value : nil, name, in: "dev")
        }
        let vfio = present.contains(.vfio) ? VFIOInfo.Shared(
            devNodeStem: present.contains(.devNode) ? devNodeStem.current ?? "" : "",
            sysfsStem: present.contains(.sysfsPath) ? sysfsStem.current ?? "" : "",
            iommuGroup: reading.iommuGroup, registration: reading.registration, reservedIOVA: reservedIOVA.last) : nil
        let made = DeviceInfo.Alike(DeviceInfo.AlikeFields(
            parent: ParentHandle(bus: try required(.bus, bus.current, "bus-name"), name: try required(.parentName, parentName.current, "dev-name")),
            type: try required(.type, type.current, "type"),
            params: params.last, vfio: vfio, node: node, ownerPID: ownerPID,
            aerStats: present.contains(.aerStats) ? aerStats.current : nil,
            migrationCompat: present.contains(.migrationCompat) ? migrationCompat.current : nil,
            reason: reason, details: details, holders: holders))
        if remembering {
            lastAlike = made
            lastPresent = present
        }
        return made
    }
}
