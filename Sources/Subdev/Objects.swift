import SubdevUAPI

/// A parameter value: integers and bools as numbers, strings and enums as text.
public enum ParamValue: Sendable, Hashable, CustomStringConvertible {
    case int(UInt64)
    case string(String)

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return value
        }
    }
}

/// A shared capacity counter of a parent.
public struct CounterInfo: Sendable, Hashable {
    public var name: String
    public var total: UInt64
    public var reserved: UInt64
}

/// A parent as `parent-get` describes it.
public struct ParentInfo: Sendable, Hashable {
    public var handle: ParentHandle
    public var vendor: String
    public var driver: String
    public var typeNames: [String]
    public var counters: [CounterInfo]
    public var deviceCount: UInt32
    /// Errors reported on the parent itself.
    public var aerStats: AERStatsInfo?
    /// Where a hotplug request for it stands, while one is requested or proceeding.
    public var hotplugStage: SubdevHotplugStage?
    /// Changes whenever its capacity does; never reused while the family runs.
    public var generation: UInt64?
}

/// Errors reported on a parent or subdevice, by severity, and recovery resets.
public struct AERStatsInfo: Sendable, Hashable {
    public var correctable: UInt64
    public var nonFatal: UInt64
    public var fatal: UInt64
    public var resets: UInt64

    public init(correctable: UInt64 = 0, nonFatal: UInt64 = 0, fatal: UInt64 = 0, resets: UInt64 = 0) {
        self.correctable = correctable
        self.nonFatal = nonFatal
        self.fatal = fatal
        self.resets = resets
    }
}

/// The schema of one parameter of a type.
public struct ParamInfo: Sendable, Hashable {
    public var name: String
    public var kind: SubdevParamKind
    public var min: UInt64?
    public var max: UInt64?
    public var defaultValue: ParamValue?
    public var choices: [String]
    public var mutable: Bool
    /// Whether a request may leave it out though it has no default.
    public var optional: Bool
    public var doc: String

    public init(name: String, kind: SubdevParamKind, min: UInt64? = nil, max: UInt64? = nil, defaultValue: ParamValue? = nil,
                choices: [String] = [], mutable: Bool = false, optional: Bool = false, doc: String = "") {
        self.name = name
        self.kind = kind
        self.min = min
        self.max = max
        self.defaultValue = defaultValue
        self.choices = choices
        self.mutable = mutable
        self.optional = optional
        self.doc = doc
    }

    /// Whether values travel in `value-int` (else `value-str`).
    public var isInteger: Bool {
        switch kind {
        case .u8, .u16, .u32, .u64, .bool: return true
        case .string, .enum: return false
        }
    }
}

/// A type as `type-get` describes it.
public struct TypeInfo: Sendable, Hashable {
    public var parent: ParentHandle
    public var name: String
    public var typeClass: SubdevTypeClass?
    public var deviceAPI: String
    public var description: String
    /// How many more subdevices of the type fit now.
    public var available: UInt32
    public var params: [ParamInfo]
    public var display: SubdevDisplay?
    public var migratable: Bool
    /// What a migration compatibility check compares, for migratable types.
    public var migrationCompat: String?
    /// Typed facts about every subdevice of the type.
    public var capabilities: [FactInfo]
    /// How its subdevices are registered with VFIO.
    public var registration: SubdevRegistration?
    /// What one more instance with default parameters would reserve from
    /// each counter (`reserved` is the amount; `total` is 0); empty when
    /// none can be planned now.
    public var instanceCost: [CounterInfo] = []
}

/// A typed fact: a capability of a type, or a detail of a subdevice.
public struct FactInfo: Sendable, Hashable {
    public var name: String
    public var kind: SubdevParamKind?
    public var value: ParamValue
    public var doc: String
}

/// The VFIO registration of a subdevice.
///
/// Kept as two parts: what is the subdevice's own (`Own`: its numbers)
/// and what the subdevices of a parent share (`Shared`: the paths' stems,
/// the IOMMU group, the registration, the reserved IOVA). A `DeviceInfo`
/// holds its own part inline and the shared part in an object it shares
/// with alike subdevices (see `DeviceInfo.Alike`).
public struct VFIOInfo: Sendable, Hashable {
    var own: Own
    var shared: Shared

    public var index: UInt32 {
        get { own.index }
        set { own.index = newValue }
    }
    /// The device node a VMM connects to (a Unix socket in the model).
    public var devNode: String {
        get { NumberedPath(stem: shared.devNodeStem, number: own.devNodeNumber).path }
        set { (shared.devNodeStem, own.devNodeNumber) = Self.parts(newValue) }
    }
    public var sysfsPath: String {
        get { NumberedPath(stem: shared.sysfsStem, number: own.sysfsNumber).path }
        set { (shared.sysfsStem, own.sysfsNumber) = Self.parts(newValue) }
    }
    public var iommuGroup: UInt32? {
        get { shared.iommuGroup }
        set { shared.iommuGroup = newValue }
    }
    public var pasid: UInt32? {
        get { own.pasid }
        set { own.pasid = newValue }
    }
    public var registration: SubdevRegistration? {
        get { shared.registration }
        set { shared.registration = newValue }
    }
    /// IOVA the subdevice may not map, inherited from its parent.
    public var reservedIOVA: [IOVARangeInfo] {
        get { shared.reservedIOVA }
        set { shared.reservedIOVA = newValue }
    }

    init(own: Own, shared: Shared) {
        self.own = own
        self.shared = shared
    }

    private static func parts(_ path: String) -> (String, UInt32?) {
        let split = NumberedPath(path)
        return (split.stem, split.number)
    }

    /// What is the subdevice's own: 28 bytes, no reference.
    struct Own: Sendable, Hashable {
        var index: UInt32
        var pasid: UInt32?
        /// The numbers that end the paths (`NumberedPath`).
        var devNodeNumber: UInt32?
        var sysfsNumber: UInt32?
    }

    /// What the subdevices of a parent have alike.
    struct Shared: Sendable, Hashable {
        /// The paths up to their numbers (`NumberedPath`).
        var devNodeStem: String
        var sysfsStem: String
        var iommuGroup: UInt32?
        var registration: SubdevRegistration?
        var reservedIOVA: [IOVARangeInfo]
    }
}

/// A range of IOVA, inclusive, and why it is reserved.
public struct IOVARangeInfo: Sendable, Hashable {
    public var start: UInt64
    public var end: UInt64
    public var kind: String

    public init(start: UInt64, end: UInt64, kind: String) {
        self.start = start
        self.end = end
        self.kind = kind
    }
}

/// A process holding a subdevice open.
public struct HolderInfo: Sendable, Hashable {
    public var pid: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: UInt32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Who may open a device node: owner, group and permission bits.
public struct NodeAccessInfo: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt16

    public init(uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt16 = 0o600) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// One parameter value of a subdevice.
public struct ParamSetting: Sendable, Hashable {
    public var name: String
    public var kind: SubdevParamKind?
    public var value: ParamValue
}

/// A subdevice as `dev-get` describes it.
///
/// What alike subdevices share (its parent, type and parameters, the
/// shared part of its VFIO registration, the fields from `details` on)
/// lives in one object they share (see `Alike`); those fields read and
/// change as any stored property does.
public struct DeviceInfo: Sendable, Hashable {
    public var index: UInt32
    public var name: String?
    public var adminState: SubdevAdminState?
    public var operState: SubdevOperState?
    /// Its own part of `vfio`, whose shared part is `alike`'s.
    var vfioOwn: VFIOInfo.Own?
    /// Set by the decoder only; read and changed through the properties below.
    var alike: Alike

    /// Reads a shared field in place; `set` gives this subdevice an
    /// object of its own with the field changed.
    private subscript<Value>(_ field: WritableKeyPath<AlikeFields, Value>) -> Value {
        get { alike.fields[keyPath: field] }
        set {
            var fields = alike.fields
            fields[keyPath: field] = newValue
            alike = Alike(fields)
        }
    }

    public var parent: ParentHandle {
        get { alike.fields.parent }
        set { self[\.parent] = newValue }
    }
    public var type: String {
        get { alike.fields.type }
        set { self[\.type] = newValue }
    }
    public var params: [ParamSetting] {
        get { alike.fields.params }
        set { self[\.params] = newValue }
    }
    public var vfio: VFIOInfo? {
        get {
            guard let own = vfioOwn, let shared = alike.fields.vfio else { return nil }
            return VFIOInfo(own: own, shared: shared)
        }
        set {
            vfioOwn = newValue?.own
            if alike.fields.vfio != newValue?.shared { self[\.vfio] = newValue?.shared }
        }
    }
    /// Facts its plugin reports, such as its WQ or framebuffer offset.
    public var details: [FactInfo] {
        get { alike.fields.details }
        set { self[\.details] = newValue }
    }
    public var node: NodeAccessInfo? {
        get { alike.fields.node }
        set { self[\.node] = newValue }
    }
    /// The process a process-bound subdevice belongs to.
    public var ownerPID: UInt32? {
        get { alike.fields.ownerPID }
        set { self[\.ownerPID] = newValue }
    }
    /// Processes holding the device node open.
    public var holders: [HolderInfo] {
        get { alike.fields.holders }
        set { self[\.holders] = newValue }
    }
    /// In a notification: why it changed or went, when no request did it.
    public var reason: String? {
        get { alike.fields.reason }
        set { self[\.reason] = newValue }
    }
    /// Errors reported on it, or on its parent while it existed.
    public var aerStats: AERStatsInfo? {
        get { alike.fields.aerStats }
        set { self[\.aerStats] = newValue }
    }
    /// Its type's migration data, when the type migrates.
    public var migrationCompat: String? {
        get { alike.fields.migrationCompat }
        set { self[\.migrationCompat] = newValue }
    }

    /// `parent/index`.
    public var handle: DeviceHandle { .index(parent, index) }
}

/// An event about one subdevice, from the `events` group or its device connection.
public struct DeviceEvent: Sendable, Hashable {
    /// The family-wide event sequence number; a gap means events were missed.
    public var sequence: UInt64
    public var parent: ParentHandle
    public var index: UInt32
    public var name: String?
    /// N of its vfioN.
    public var vfioIndex: UInt32?
    /// For a remove request: which one, from 1.
    public var counter: UInt32?
    /// For a remove request with a deadline: milliseconds left.
    public var deadlineMilliseconds: UInt32?
    /// The holders it concerns.
    public var holderPIDs: [UInt32]
    public var reason: String?

    public var handle: DeviceHandle { .index(parent, index) }
}

/// A PCI Express error and the steps of its recovery, on a subdevice or,
/// when the parent has none, on the parent.
public struct AEREvent: Sendable, Hashable {
    public var sequence: UInt64
    public var parent: ParentHandle
    /// The subdevice it concerns; `nil` for an error on a parent without subdevices.
    public var index: UInt32?
    public var name: String?
    public var vfioIndex: UInt32?
    public var severity: SubdevAerSeverity
    public var channelState: SubdevChannelState
    public var stage: SubdevAerStage
    /// In error-detected: how long the holders have to answer.
    public var timeoutMilliseconds: UInt32?
    public var holderPIDs: [UInt32]
    public var reason: String?
    /// The counters after this error.
    public var stats: AERStatsInfo?

    /// `parent/index`, or `nil` for an event on the parent.
    public var handle: DeviceHandle? { index.map { .index(parent, $0) } }
}

/// A hotplug request for a parent, and its steps.
public struct HotplugEvent: Sendable, Hashable {
    public var sequence: UInt64
    public var parent: ParentHandle
    public var action: SubdevHotplugAction
    public var stage: SubdevHotplugStage
    /// In requested: how long it can be cancelled.
    public var windowMilliseconds: UInt32?
    public var reason: String?
}

/// What a subscriber gets after it lost messages: the state as a dump
/// finds it now. Events lost are gone; the state tells what they did.
public struct Resynchronisation: Sendable, Hashable {
    public var parents: [ParentInfo]
    public var devices: [DeviceInfo]
    /// Event sequence numbers known to be missed, when a gap showed them.
    public var missedSequences: ClosedRange<UInt64>?

    public init(parents: [ParentInfo], devices: [DeviceInfo], missedSequences: ClosedRange<UInt64>? = nil) {
        self.parents = parents
        self.devices = devices
        self.missedSequences = missedSequences
    }
}

/// A message on the `events` group, or on a holder's device connection.
public enum SubdevEvent: Sendable, Hashable {
    /// Let go of the subdevice: a removal waits for it.
    case removeRequest(DeviceEvent)
    /// The holders were cut off.
    case revoke(DeviceEvent)
    /// An AER error, or a step of its recovery.
    case aer(AEREvent)
    /// A hotplug request, or a step of it.
    case hotplug(HotplugEvent)
    /// Events were lost (`ENOBUFS`, or a gap in the sequence numbers); the
    /// client dumped the state again, and goes on.
    case resynchronised(Resynchronisation)

    /// The event's sequence number; `nil` for a resynchronisation.
    public var sequence: UInt64? {
        switch self {
        case .removeRequest(let event), .revoke(let event): return event.sequence
        case .aer(let event): return event.sequence
        case .hotplug(let event): return event.sequence
        case .resynchronised: return nil
        }
    }
}

/// A message on the `config` group.
public enum ConfigNotification: Sendable, Hashable {
    case created(DeviceInfo)
    case changed(DeviceInfo)
    /// Carries the subdevice's last state.
    case deleted(DeviceInfo)
    /// A parent appeared (hotplug add).
    case parentAdded(ParentInfo)
    /// A parent went (hotplug removal); carries its last state.
    case parentRemoved(ParentInfo)
    /// Notifications were lost (`ENOBUFS`); the client dumped the state
    /// again, and goes on.
    case resynchronised(Resynchronisation)
}

/// A subdevice to create, as `SubdevClient.createDevice` takes it: for
/// batches (`createDevices`).
public struct NewDevice: Sendable {
    public var parent: ParentHandle
    public var type: String
    public var name: String?
    /// `up` when `nil`, as the model defaults.
    public var adminState: SubdevAdminState?
    /// Values in request order; omitted ones take their defaults.
    public var params: [(String, ParamValue)]
    /// Owner, group and mode of the device node; root's, 0600 when `nil`.
    public var node: NodeAccessInfo?
    /// Bound to the creating process.
    public var owned: Bool

    public init(parent: ParentHandle, type: String, name: String? = nil, adminState: SubdevAdminState? = nil,
                params: [(String, ParamValue)] = [], node: NodeAccessInfo? = nil, owned: Bool = false) {
        self.parent = parent
        self.type = type
        self.name = name
        self.adminState = adminState
        self.params = params
        self.node = node
        self.owned = owned
    }
}
