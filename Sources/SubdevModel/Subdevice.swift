import SubdevPlugin
import SubdevUAPI

/// Who may open a device node: its owner, group and permission bits, as
/// a manager would chown and chmod a VFIO cdev.
public struct NodeAccess: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt16

    public init(uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt16 = 0o600) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// A subdevice as the model keeps it.
public struct Subdevice: Sendable {
    public var parentHandle: String
    public var index: UInt32
    public var name: String?
    public var typeName: String
    public var adminState: SubdevAdminState
    public var operState: SubdevOperState
    /// Parameter values in schema order; optional ones left out are absent.
    public var params: [(name: String, value: ParamValue)]
    /// What it holds on its parent, `pasids` included when it has one.
    public var allocation: Allocation
    /// N of `/dev/vfio/devices/vfioN`.
    public var vfioIndex: UInt32
    public var pasid: UInt32?
    /// Owner, group and mode of the device node.
    public var node: NodeAccess
    /// The process a process-bound subdevice belongs to.
    public var ownerPID: Int32?
    /// Errors reported on it, or on its parent while it existed.
    public var aerStats = AERStats()

    /// `parent/index`, such as `pci/0000:6a:01.0/3`.
    public var handle: String { "\(parentHandle)/\(index)" }

    /// The subdevice as its plugin sees it.
    var instanceState: InstanceState {
        InstanceState(index: index, type: typeName,
                      params: Dictionary(params.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                      allocation: allocation)
    }
}
