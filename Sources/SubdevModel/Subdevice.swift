import SubdevPlugin
import SubdevUAPI

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

    /// `parent/index`, such as `pci/0000:6a:01.0/3`.
    public var handle: String { "\(parentHandle)/\(index)" }

    public var devNode: String { "/dev/vfio/devices/vfio\(vfioIndex)" }

    /// The subdevice as its plugin sees it.
    var instanceState: InstanceState {
        InstanceState(index: index, type: typeName,
                      params: Dictionary(params.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                      allocation: allocation)
    }
}
