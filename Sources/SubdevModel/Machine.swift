import Netlink
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
}

/// The simulated machine: parents, their types and counters, and the
/// subdevices carved out of them. All mutations are all-or-nothing: a
/// method that throws has changed nothing.
///
/// Not thread-safe; the model's server runs every handler on one thread,
/// as the kernel's `genl_mutex` serialises a family's handlers.
public struct Machine: Sendable {
    public private(set) var parents: [Parent]
    /// Subdevices in parent order, then index order.
    public private(set) var devices: [Subdevice] = []
    private var nextPASID: UInt32 = 1

    public init(parents: [Parent]) {
        self.parents = parents
    }

    /// The index of the parent `bus/name`.
    public func parentIndex(bus: String, name: String) -> Int? {
        parents.firstIndex { $0.bus == bus && $0.name == name }
    }

    /// The subdevice at position `i` of `devices` named by parent and index, or by name.
    public func deviceIndex(parent: String, index: UInt32) -> Int? {
        devices.firstIndex { $0.parentHandle == parent && $0.index == index }
    }

    public func deviceIndex(named name: String) -> Int? {
        devices.firstIndex { $0.name == name }
    }

    /// Creates a subdevice: validates and completes its parameters, reserves
    /// its resources, gives it the lowest free index and `vfioN`.
    public mutating func create(parent parentPosition: Int, type typeName: String, name: String?,
                                adminState: SubdevAdminState, params: [RequestParam],
                                typeOffset: Int?, nameOffset: Int?) throws -> Subdevice {
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
        let values = try Machine.complete(params, for: type)
        let cost = type.cost(values)
        if let short = parent.shortfall(for: cost) {
            throw NetlinkError(errno: ENOSPC, message: "not enough \(short.counter) on \(parent.handle) for a \(typeName): \(short.needed) needed, \(short.free) free")
        }
        let index = lowestFree(devices.filter { $0.parentHandle == parent.handle }.map(\.index))
        let device = Subdevice(
            parentHandle: parent.handle, index: index, name: name, typeName: typeName,
            adminState: adminState, operState: adminState == .up ? .up : .down,
            params: type.params.compactMap { schema in values[schema.name].map { (schema.name, $0) } },
            reservation: cost, vfioIndex: lowestFree(devices.map(\.vfioIndex)),
            pasid: type.usesPASID ? takePASID() : nil)
        parents[parentPosition].reserve(cost)
        let position = devices.firstIndex { other in
            let otherParent = parents.firstIndex { $0.handle == other.parentHandle } ?? 0
            return otherParent > parentPosition || (otherParent == parentPosition && other.index > index)
        } ?? devices.endIndex
        devices.insert(device, at: position)
        return device
    }

    /// Changes the admin state and mutable parameters of subdevice `position`.
    ///
    /// - Returns: whether anything changed.
    public mutating func modify(device position: Int, adminState: SubdevAdminState?, params: [RequestParam]) throws -> Bool {
        var device = devices[position]
        guard let parentPosition = parents.firstIndex(where: { $0.handle == device.parentHandle }),
              let type = parents[parentPosition].type(device.typeName) else {
            throw NetlinkError(errno: ENODEV, message: "subdevice \(device.handle) lost its parent")
        }
        var values = Dictionary(uniqueKeysWithValues: device.params.map { ($0.name, $0.value) })
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
        let cost = type.cost(values)
        if cost != device.reservation, let short = parents[parentPosition].shortfall(for: cost, returning: device.reservation) {
            throw NetlinkError(errno: ENOSPC, message: "not enough \(short.counter) on \(device.parentHandle): \(short.needed) needed, \(short.free) free")
        }
        let before = (device.adminState, device.params.map(\.value))
        device.params = device.params.map { ($0.name, values[$0.name] ?? $0.value) }
        if let adminState {
            device.adminState = adminState
            if device.operState == .up || device.operState == .down {
                device.operState = adminState == .up ? .up : .down
            }
        }
        guard before != (device.adminState, device.params.map(\.value)) else { return false }
        parents[parentPosition].release(device.reservation)
        parents[parentPosition].reserve(cost)
        device.reservation = cost
        devices[position] = device
        return true
    }

    /// Deletes subdevice `position` and returns its resources.
    public mutating func delete(device position: Int) -> Subdevice {
        let device = devices.remove(at: position)
        if let parentPosition = parents.firstIndex(where: { $0.handle == device.parentHandle }) {
            parents[parentPosition].release(device.reservation)
        }
        return device
    }

    /// Checks request parameters against the type's schema and fills in defaults.
    static func complete(_ params: [RequestParam], for type: DeviceType) throws -> [String: ParamValue] {
        var values: [String: ParamValue] = [:]
        for param in params {
            guard let schema = type.param(param.name) else {
                throw NetlinkError(errno: EINVAL, message: "type \(type.name) has no parameter \(param.name)", offset: UInt32(param.offset))
            }
            if values[param.name] != nil {
                throw NetlinkError(errno: EINVAL, message: "parameter \(param.name) is given twice", offset: UInt32(param.offset))
            }
            if let problem = schema.problem(with: param.value) {
                throw NetlinkError(errno: EINVAL, message: problem, offset: UInt32(param.offset))
            }
            values[param.name] = param.value
        }
        for schema in type.params where values[schema.name] == nil {
            guard let value = schema.defaultValue else {
                throw NetlinkError(errno: EINVAL, message: "type \(type.name) needs parameter \(schema.name)")
            }
            values[schema.name] = value
        }
        return values
    }

    private mutating func takePASID() -> UInt32 {
        let used = Set(devices.compactMap(\.pasid))
        while used.contains(nextPASID) { nextPASID = nextPASID % 0xFFFFF + 1 }
        defer { nextPASID = nextPASID % 0xFFFFF + 1 }
        return nextPASID
    }
}

/// The lowest number not in `used`, from 0.
func lowestFree(_ used: [UInt32]) -> UInt32 {
    let taken = Set(used)
    var candidate: UInt32 = 0
    while taken.contains(candidate) { candidate += 1 }
    return candidate
}
