#if canImport(Glibc)
import Glibc
#endif
import Netlink

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

    /// The remembered value when `raw` holds the bytes it came from; else
    /// what `decode` makes, remembered in its place. `hit` says which.
    /// Always inlined: a subdevice's decoding calls it a dozen times, and
    /// the optimiser stopped inlining it once the decoding grew.
    @inline(__always)
    mutating func value(for raw: UnsafeRawBufferPointer, _ decode: () throws -> Value) rethrows -> (value: Value, hit: Bool) {
        if let value, holds(raw) { return (value, true) }
        let made = try decode()
        keep(raw)
        value = made
        return (made, false)
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
    private var last: [Element] = []

    /// Where one object's run is read into.
    struct Reading {
        fileprivate var count = 0
        /// Made only once an element differs from the last object's.
        fileprivate var made: [Element]?
    }

    /// Reads the next element of `reading`'s run from `raw`.
    mutating func next(_ reading: inout Reading, raw: UnsafeRawBufferPointer, _ decode: () throws -> Element) rethrows {
        let position = reading.count
        if position == slots.count { slots.append(Remembered()) }
        let (element, hit) = try slots[position].value(for: raw, decode)
        reading.count += 1
        if reading.made == nil, hit, position < last.count { return }
        if reading.made == nil {
            // The first that differs: the ones before it are the last object's.
            var made = Array(last.prefix(position))
            made.reserveCapacity(4)
            reading.made = made
        }
        reading.made?.append(element)
    }

    /// The run `reading` read: the last object's array when it is the same.
    mutating func finish(_ reading: Reading) -> [Element] {
        if let made = reading.made {
            last = made
            return made
        }
        if reading.count != last.count { last = Array(last.prefix(reading.count)) }
        return last
    }
}

/// What the subdevices of a `dev-get` dump or of a batch of creates carry
/// alike, remembered from one to the next while they are decoded: parent,
/// type, parameters, reserved IOVA, AER counts, migration data, the
/// directories of their paths, and the object of `DeviceInfo.Alike`
/// fields. Their own values (index, name, the paths'
/// last components) are always decoded. One per dump or batch, on the
/// thread that decodes it.
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
    var devNodeDirectory = Remembered<String>()
    var sysfsDirectory = Remembered<String>()
    /// The shared fields of the last subdevice.
    private var lastAlike: DeviceInfo.Alike?

    init(remembering: Bool) {
        self.remembering = remembering
    }

    /// Where a subdevice's strings that repeat are remembered.
    enum StringSlot {
        case bus, parentName, type, migrationCompat
    }

    /// String attribute `found`, remembered in `slot` when remembering.
    mutating func string(_ slot: StringSlot, _ found: AttributeDecoder.Found) throws -> String {
        guard remembering else { return try found.string() }
        switch slot {
        case .bus: return try bus.value(for: found.payload) { try found.string() }.value
        case .parentName: return try parentName.value(for: found.payload) { try found.string() }.value
        case .type: return try type.value(for: found.payload) { try found.string() }.value
        case .migrationCompat: return try migrationCompat.value(for: found.payload) { try found.string() }.value
        }
    }

    /// Where a subdevice's paths' directories are remembered.
    enum PathSlot {
        case devNode, sysfsPath
    }

    /// Path attribute `found`, its directory remembered in `slot` when
    /// remembering.
    mutating func path(_ slot: PathSlot, _ found: AttributeDecoder.Found) throws -> PathText {
        let bytes = try found.stringBytes()
        guard remembering else { return PathText(bytes) { String(decoding: $0, as: UTF8.self) } }
        return PathText(bytes) { directory in
            switch slot {
            case .devNode: return devNodeDirectory.value(for: directory) { String(decoding: directory, as: UTF8.self) }.value
            case .sysfsPath: return sysfsDirectory.value(for: directory) { String(decoding: directory, as: UTF8.self) }.value
            }
        }
    }

    /// An object holding a subdevice's shared fields: the last
    /// subdevice's when it holds the same, else a new one, remembered for
    /// the next when remembering. Not inlined, so that the decoding of a
    /// subdevice stays small enough for what it calls per attribute to be
    /// inlined.
    @inline(never)
    mutating func alike(_ fields: consuming DeviceInfo.AlikeFields) -> DeviceInfo.Alike {
        if let lastAlike, lastAlike.holds(fields) { return lastAlike }
        let made = DeviceInfo.Alike(fields)
        if remembering { lastAlike = made }
        return made
    }
}
