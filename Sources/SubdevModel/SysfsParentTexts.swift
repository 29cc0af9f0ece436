#if canImport(Glibc)
import Glibc
#endif

/// What every subdevice of one parent writes alike in the sysfs mirror,
/// made once per parent: its directory, the class link's target up to
/// that directory, and its reserved regions. Building them anew for every
/// `dev-new` and `dev-del` (interpolated paths, each region's addresses in
/// hex) took more instructions than the rest of the request.
///
/// The parent's directory is held open too, so that the renames which
/// recycle a subdevice's directory name one component, not the whole
/// path from `/`: the kernel walks each component of a path, about a
/// tenth of a microsecond each on tmpfs.
///
/// Parents never change, they only come and go with hotplug, and one that
/// comes back is the same one, in a directory made anew: `forget` closes
/// the old one when a parent goes. Used from the model's one thread.
final class SysfsParentTexts {
    struct Texts {
        /// `ROOT/sys/devices/.../PARENT`.
        let directory: String
        /// That directory as a link in `sys/class/vfio-dev` reaches it,
        /// such as `../../devices/virtual/mtty`.
        let classTarget: String
        /// The `reserved_regions` attribute of each subdevice.
        let reservedRegions: String
        /// `directory`, open; -1 when it could not be opened or
        /// `openLimit` parents' are already open.
        let opened: Int32

        /// Where subdevice `index`'s directory is named: relative to the
        /// open parent directory, else by its whole path.
        func subdevice(_ index: UInt32) -> Entry {
            opened >= 0 ? Entry(directory: opened, name: "subdev." + String(index))
                : Entry(directory: AT_FDCWD, name: subdevicePath(index))
        }

        /// Subdevice `index`'s directory, `ROOT/sys/devices/.../PARENT/subdev.INDEX`.
        func subdevicePath(_ index: UInt32) -> String { directory + "/subdev." + String(index) }
    }

    /// A name as the `*at` system calls take it: relative to an open
    /// directory, or a whole path with `AT_FDCWD`.
    struct Entry {
        let directory: Int32
        let name: String
    }

    private let root: ModelRoot
    private var byHandle: [String: Texts] = [:]
    /// The texts asked for last, and whose: a create and its delete, or a
    /// VMM's run of creates, ask for one parent's again and again, and a
    /// handle compared with itself costs less than it hashes.
    private var last: (handle: String, texts: Texts)?
    /// At most this many parents' directories are held open; the others'
    /// subdevices are renamed by whole paths.
    let openLimit: Int
    private var openCount = 0

    init(root: ModelRoot, openLimit: Int = 1024) {
        self.root = root
        self.openLimit = openLimit
    }

    deinit {
        for texts in byHandle.values where texts.opened >= 0 { close(texts.opened) }
    }

    func texts(of parent: Parent) -> Texts {
        if let last, last.handle == parent.handle { return last.texts }
        let texts = lookUp(parent)
        last = (parent.handle, texts)
        return texts
    }

    private func lookUp(_ parent: Parent) -> Texts {
        if let known = byHandle[parent.handle] { return known }
        let directory = root.parentDirectory(bus: parent.bus, name: parent.name)
        var opened: Int32 = -1
        if openCount < openLimit {
            opened = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if opened >= 0 { openCount += 1 }
        }
        let texts = Texts(directory: directory,
                          classTarget: SysfsTree.relative(directory, from: root.join(SysfsTree.classDirectory)),
                          reservedRegions: SysfsTree.reservedRegions(parent.reservedIOVA),
                          opened: opened)
        byHandle[parent.handle] = texts
        return texts
    }

    /// Forgets `parent`'s texts and closes its directory: it is being
    /// removed (hotplug), and one made again for it is another.
    func forget(_ parent: Parent) {
        if last?.handle == parent.handle { last = nil }
        guard let texts = byHandle.removeValue(forKey: parent.handle), texts.opened >= 0 else { return }
        close(texts.opened)
        openCount -= 1
    }
}
