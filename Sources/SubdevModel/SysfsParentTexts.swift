/// What every subdevice of one parent writes alike in the sysfs mirror,
/// made once per parent: its directory, the class link's target up to
/// that directory, and its reserved regions. Building them anew for every
/// `dev-new` and `dev-del` (interpolated paths, each region's addresses in
/// hex) took more instructions than the rest of the request.
///
/// Parents never change, they only come and go with hotplug, and one that
/// comes back is the same one. Used from the model's one thread.
final class SysfsParentTexts {
    struct Texts {
        /// `ROOT/sys/devices/.../PARENT`.
        let directory: String
        /// That directory as a link in `sys/class/vfio-dev` reaches it,
        /// such as `../../devices/virtual/mtty`.
        let classTarget: String
        /// The `reserved_regions` attribute of each subdevice.
        let reservedRegions: String
    }

    private let root: ModelRoot
    private var byHandle: [String: Texts] = [:]

    init(root: ModelRoot) {
        self.root = root
    }

    func texts(of parent: Parent) -> Texts {
        if let known = byHandle[parent.handle] { return known }
        let directory = root.parentDirectory(bus: parent.bus, name: parent.name)
        let texts = Texts(directory: directory,
                          classTarget: SysfsTree.relative(directory, from: root.join(SysfsTree.classDirectory)),
                          reservedRegions: SysfsTree.reservedRegions(parent.reservedIOVA))
        byHandle[parent.handle] = texts
        return texts
    }
}
