import Netlink
import SubdevPlugin
import SubdevUAPI

/// What every subdevice of one parent encodes alike, worked out once: the
/// prefixes of its node and sysfs paths, its reserved IOVA nests, and for
/// each type the wire values of its registration and parameter kinds.
/// A class, so that a dump passes it around without copying its fields.
final class ParentEncoding {
    struct TypeEncoding {
        var registration: UInt8
        var kinds: [String: UInt8]
        /// The type's migration data, for migratable types.
        var migrationCompat: String?
    }

    let parent: Parent
    /// `ROOT/dev/vfio/devices/vfio`, to which N is appended.
    let nodePrefix: String
    /// The parent's sysfs directory and `/subdev.`, to which the index is appended.
    let sysfsPrefix: String
    /// The `reserved-iova` nests, encoded.
    let reservedIOVA: [UInt8]
    private let types: [String: TypeEncoding]

    init(_ parent: Parent, root: ModelRoot) {
        self.parent = parent
        nodePrefix = root.join("dev/vfio/devices/vfio")
        sysfsPrefix = root.parentDirectory(bus: parent.bus, name: parent.name) + "/subdev."
        var ranges = AttributeEncoder()
        for range in parent.reservedIOVA {
            ranges.nest(SubdevVfioAttr.reservedIova) { entry in
                entry.put(SubdevIovaRangeAttr.start, range.start)
                entry.put(SubdevIovaRangeAttr.end, range.end)
                entry.put(SubdevIovaRangeAttr.kind, range.kind)
            }
        }
        reservedIOVA = ranges.bytes
        var types: [String: TypeEncoding] = [:]
        for type in parent.spec.types {
            types[type.name] = TypeEncoding(
                registration: ObjectEncoding.wire(SubdevRegistration(name: type.registration.rawValue)),
                kinds: Dictionary(type.params.map { ($0.name, ObjectEncoding.wire(SubdevParamKind(name: $0.kind.rawValue))) },
                                  uniquingKeysWith: { first, _ in first }),
                migrationCompat: type.migration.offered)
        }
        self.types = types
    }

    func type(_ name: String) -> TypeEncoding? { types[name] }
}

/// Each parent's `ParentEncoding`, made the first time one of its
/// subdevices is encoded and kept: parents never change, they only come
/// and go with hotplug, and a parent that comes back is the same one.
///
/// Used from the model's one thread.
final class ParentEncodings {
    let root: ModelRoot
    private var byHandle: [String: ParentEncoding] = [:]

    init(root: ModelRoot) {
        self.root = root
    }

    subscript(parent: Parent) -> ParentEncoding {
        if let known = byHandle[parent.handle] { return known }
        let made = ParentEncoding(parent, root: root)
        byHandle[parent.handle] = made
        return made
    }
}
