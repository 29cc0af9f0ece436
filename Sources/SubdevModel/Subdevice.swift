import SubdevUAPI

/// A subdevice as the model keeps it.
public struct Subdevice: Sendable {
    /// Index of its parent in the machine.
    public var parentHandle: String
    public var index: UInt32
    public var name: String?
    public var typeName: String
    public var adminState: SubdevAdminState
    public var operState: SubdevOperState
    /// Parameter values in schema order.
    public var params: [(name: String, value: ParamValue)]
    /// What it reserved on its parent.
    public var reservation: ResourceCost
    /// N of `/dev/vfio/devices/vfioN`.
    public var vfioIndex: UInt32
    public var pasid: UInt32?

    /// `parent/index`, such as `pci/0000:6a:01.0/3`.
    public var handle: String { "\(parentHandle)/\(index)" }

    public var devNode: String { "/dev/vfio/devices/vfio\(vfioIndex)" }
}
