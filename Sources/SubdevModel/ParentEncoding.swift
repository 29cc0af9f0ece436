import Netlink
import SubdevPlugin
import SubdevUAPI

/// What every subdevice of one parent encodes alike, worked out once: the
/// prefixes of its node and sysfs paths, its reserved IOVA nests, and for
/// each type the wire values of its registration and parameter kinds.
/// A class, so that a dump passes it around without copying its fields.
final class ParentEncoding {
    /// A class, so that finding a subdevice's type hands back a
    /// reference rather than copying its strings and kinds.
    final class TypeEncoding {
        let name: String
        let registration: UInt8
        /// Each parameter's kind, in schema order: a subdevice's parameters
        /// come in that order, so a search from the last match finds the
        /// next at once (a handful of entries; no hashing).
        let kinds: [(name: String, kind: UInt8)]
        /// The `type` attribute, and `migration-compat` (empty for a type
        /// that does not migrate), encoded once for all its subdevices.
        let encodedName: [UInt8]
        let encodedCompat: [UInt8]
        /// Parameter lists encoded as `param` nests, by the address of the
        /// list's storage. Subdevices made alike share one list
        /// (`SharedValues`), so most find theirs here; and each entry holds
        /// its list, so no other list can be stored at that address while
        /// the entry is kept.
        private var encodedParams: [UInt: (list: [(name: String, value: ParamValue)], bytes: [UInt8])] = [:]
        /// The entry found last: alike subdevices come in runs, and
        /// comparing one address is cheaper than hashing it.
        /// It holds its list too, so that its address stays its own.
        private var lastParams: (key: UInt, list: [(name: String, value: ParamValue)], bytes: [UInt8])?
        /// Bounded as `SharedValues` is: past it, the entries start over.
        static let encodedParamsLimit = 64

        init(name: String, registration: UInt8, kinds: [(name: String, kind: UInt8)], migrationCompat: String?) {
            self.name = name
            self.registration = registration
            self.kinds = kinds
            var out = AttributeEncoder()
            out.put(SubdevDevAttr.type, name)
            encodedName = out.bytes
            out = AttributeEncoder()
            if let migrationCompat { out.put(SubdevDevAttr.migrationCompat, migrationCompat) }
            encodedCompat = out.bytes
        }

        /// `list`'s `param` nests, encoded the first time this list is seen.
        func encoded(params list: [(name: String, value: ParamValue)]) -> [UInt8] {
            let key = list.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            if let last = lastParams, last.key == key { return last.bytes }
            if let entry = encodedParams[key] {
                lastParams = (key, entry.list, entry.bytes)
                return entry.bytes
            }
            var out = AttributeEncoder(capacity: 128)
            ObjectEncoding.params(list, type: self, into: &out)
            let bytes = out.bytes
            if encodedParams.count >= Self.encodedParamsLimit { encodedParams = [:] }
            encodedParams[key] = (list, bytes)
            lastParams = (key, list, bytes)
            return bytes
        }

        /// The wire kind of parameter `name`; `cursor` carries where the
        /// last one was found, from one parameter of a subdevice to the next.
        func kind(of name: String, cursor: inout Int) -> UInt8? {
            for step in 0..<kinds.count {
                let slot = (cursor + step) % kinds.count
                if kinds[slot].name == name {
                    cursor = slot + 1
                    return kinds[slot].kind
                }
            }
            return nil
        }
    }

    /// The parent's handle, and the fields every subdevice carries: held
    /// rather than the `Parent`, so that encoding one never copies it.
    let handle: String
    /// The `bus-name` and `dev-name` attributes, encoded, then the bytes
    /// of the parent's sysfs directory and `/subdev.`, to which a
    /// subdevice's index is appended. One buffer, as every subdevice
    /// encoded reads both: when the parent's turn comes round again
    /// among a thousand, that is fewer cold cache lines than two. Its
    /// own allocation, freed with it, so that reading a part is no
    /// retain: the parts are valid while this encoding is held.
    private let ownBytes: UnsafeMutableRawBufferPointer
    private let namesCount: Int
    var encodedNames: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: ownBytes[..<namesCount]) }
    var sysfsPrefix: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: ownBytes[namesCount...]) }
    let iommuGroup: UInt32
    /// `ROOT/dev/vfio/devices/vfio`, to which N is appended.
    let nodePrefix: String
    /// The `reserved-iova` nests, encoded.
    let reservedIOVA: [UInt8]
    /// By type, in the parent's order: a few, searched by name.
    private let types: [TypeEncoding]

    /// `types` are the encodings of `parent.spec.types`, in order, and
    /// `reservedIOVA` those of its reserved ranges, as `ParentEncodings`
    /// shares them among parents alike; each is made afresh when nil.
    init(_ parent: Parent, root: ModelRoot, types: [TypeEncoding]? = nil, reservedIOVA: [UInt8]? = nil) {
        handle = parent.handle
        var names = AttributeEncoder()
        names.put(SubdevDevAttr.busName, parent.bus)
        names.put(SubdevDevAttr.devName, parent.name)
        let nameBytes = names.bytes
        let bytes = nameBytes + Array((root.parentDirectory(bus: parent.bus, name: parent.name) + "/subdev.").utf8)
        namesCount = nameBytes.count
        ownBytes = .allocate(byteCount: bytes.count, alignment: 8)
        ownBytes.copyBytes(from: bytes)
        iommuGroup = parent.iommuGroup
        nodePrefix = root.devNodePrefix
        self.reservedIOVA = reservedIOVA ?? Self.encoded(reservedIOVA: parent.reservedIOVA)
        self.types = types ?? Self.encodings(of: parent.spec.types)
    }

    deinit {
        ownBytes.deallocate()
    }

    /// `ranges` as `reserved-iova` nests.
    static func encoded(reservedIOVA ranges: [IOVARange]) -> [UInt8] {
        var out = AttributeEncoder()
        for range in ranges {
            out.nest(SubdevVfioAttr.reservedIova) { entry in
                entry.put(SubdevIovaRangeAttr.start, range.start)
                entry.put(SubdevIovaRangeAttr.end, range.end)
                entry.put(SubdevIovaRangeAttr.kind, range.kind)
            }
        }
        return out.bytes
    }

    /// The encodings of `types`, made afresh.
    static func encodings(of types: [TypeSpec]) -> [TypeEncoding] {
        types.map { type in
            TypeEncoding(
                name: type.name,
                registration: ObjectEncoding.wire(SubdevRegistration(name: type.registration.rawValue)),
                kinds: type.params.map { ($0.name, ObjectEncoding.wire(SubdevParamKind(name: $0.kind.rawValue))) },
                migrationCompat: type.migration.offered)
        }
    }

    func type(_ name: String) -> TypeEncoding? { types.first { $0.name == name } }
}

/// Each parent's `ParentEncoding`, made the first time one of its
/// subdevices is encoded and kept: parents never change, they only come
/// and go with hotplug, and a parent that comes back is the same one.
///
/// Used from the model's one thread.
final class ParentEncodings {
    let root: ModelRoot
    private var byHandle: [String: ParentEncoding] = [:]
    /// The same by the parent's group in the device table, which stays
    /// the parent's for the model's life: found without hashing a handle.
    private var byGroup: [ParentEncoding?] = []
    /// Type encodings by the types they encode: parents of one kind share
    /// them, so a create on any of them finds its type in warm memory,
    /// and their encoded parameter lists in one cache.
    private var typeEncodings: [[TypeSpec]: [ParentEncoding.TypeEncoding]] = [:]
    /// Reserved ranges' nests by the ranges, shared alike: most parents
    /// reserve only the MSI window.
    private var reservedIOVAEncodings: [[IOVARange]: [UInt8]] = [:]

    init(root: ModelRoot) {
        self.root = root
    }

    /// The encoding made already for the parent `handle`, whose group in
    /// the device table is `group` when the caller knows it, if any: a
    /// known parent is never copied out of the machine.
    func known(_ handle: String, group: DeviceTable.GroupID?) -> ParentEncoding? {
        if let group, group.position < byGroup.count, let known = byGroup[group.position] { return known }
        guard let known = byHandle[handle] else { return nil }
        if let group { remember(known, group: group) }
        return known
    }

    /// Makes and keeps the encoding of `parent`, in `group`.
    func add(_ parent: Parent, group: DeviceTable.GroupID?) -> ParentEncoding {
        let types = parent.spec.types
        let encodings = typeEncodings[types] ?? ParentEncoding.encodings(of: types)
        typeEncodings[types] = encodings
        let reserved = reservedIOVAEncodings[parent.reservedIOVA] ?? ParentEncoding.encoded(reservedIOVA: parent.reservedIOVA)
        reservedIOVAEncodings[parent.reservedIOVA] = reserved
        let made = ParentEncoding(parent, root: root, types: encodings, reservedIOVA: reserved)
        byHandle[parent.handle] = made
        if let group { remember(made, group: group) }
        return made
    }

    private func remember(_ encoding: ParentEncoding, group: DeviceTable.GroupID) {
        while byGroup.count <= group.position { byGroup.append(nil) }
        byGroup[group.position] = encoding
    }
}
