import Foundation
import SubdevPlugin
#if canImport(Glibc)
import Glibc
#endif

/// A sysfs-style tree below the model's root, so that a tool walking sysfs
/// finds subdevices as it would find VFIO devices:
///
/// ```
/// sys/bus/pci/devices/0000:6a:01.0 -> ../../../devices/pci0000:6a/0000:6a:01.0
/// sys/devices/pci0000:6a/0000:6a:01.0/subdev.3/{uevent,type,name,index,registration,pasid,reserved_regions}
/// sys/devices/pci0000:6a/0000:6a:01.0/subdev.3/vfio-dev/vfio5/{uevent,dev_node}
/// sys/class/vfio-dev/vfio5 -> ../../devices/pci0000:6a/0000:6a:01.0/subdev.3/vfio-dev/vfio5
/// sys/kernel/iommu_groups/50/reserved_regions (whole-function types: subdev.N/iommu_group links here)
/// ```
///
/// Attribute files are read-only (0444), one value per file, as sysfs has them.
struct SysfsTree {
    let root: ModelRoot
    /// Where attributes many subdevices share are kept, to be linked.
    let contents: SysfsContents
    /// Where removed subdevices' directories wait to be put back.
    let recycler: SysfsRecycler
    let parentTexts: SysfsParentTexts
    let classLinks: SysfsClassLinks

    /// Where the `vfioN` class links are, below the root.
    static let classDirectory = "sys/class/vfio-dev"

    init(root: ModelRoot) {
        self.root = root
        contents = SysfsContents(root: root)
        recycler = SysfsRecycler(root: root)
        parentTexts = SysfsParentTexts(root: root)
        classLinks = SysfsClassLinks(root: root)
    }

    /// Creates the parents' directories and their bus links.
    func addParents(_ parents: [Parent]) throws {
        for parent in parents {
            let directory = root.parentDirectory(bus: parent.bus, name: parent.name)
            try makeDirectory(directory)
            try attribute("\(directory)/uevent", "DRIVER=\(parent.plugin.driver)\nSUBDEV_PARENT=\(parent.handle)\n")
            try link(root.join("sys/bus/\(parent.bus)/devices/\(parent.name)"), to: directory)
        }
    }

    /// Removes a parent's directory and bus link (a hotplug removal).
    func removeParent(_ parent: Parent) {
        parentTexts.forget(parent)
        try? FileManager.default.removeItem(atPath: root.join("sys/bus/\(parent.bus)/devices/\(parent.name)"))
        try? FileManager.default.removeItem(atPath: root.parentDirectory(bus: parent.bus, name: parent.name))
    }

    /// Creates the subdevice's directory, its VFIO device and class link,
    /// with one system call per entry, each relative to the subdevice's
    /// directory so the kernel does not walk the whole path again: this
    /// runs on every `dev-new`.
    ///
    /// A directory `remove` kept is put back instead when there is one,
    /// with what differs written again (`SysfsRecycler`).
    func add(_ device: Subdevice, parent: Parent, registration: Registration) throws {
        let texts = parentTexts.texts(of: parent)
        let shown = Shown(device, registration: registration, reservedRegions: texts.reservedRegions)
        // A whole-function type's directory has a link more; such are made anew.
        if registration != .iommuGroup, let kept = recycler.take(to: texts.subdevice(device.index)) {
            do {
                try refit(kept, in: texts, as: device, shown: shown)
                try classLink(device, texts: texts)
                recycler.markWhole(device.vfioIndex)
                return
            } catch {
                // Made anew below, from nothing.
                try? FileManager.default.removeItem(atPath: texts.subdevicePath(device.index))
            }
        }
        let directory = texts.subdevicePath(device.index)
        if mkdir(directory, 0o755) != 0 {
            // Left over from a registration that failed half way: start over.
            guard errno == EEXIST else { throw ModelRootError("cannot make \(directory): \(String(cString: strerror(errno)))") }
            remove(device, parent: parent)
            try makeDirectory(directory)
        }
        let at = try Directory(directory)
        defer { at.close() }
        let vfio = "vfio-dev/vfio\(device.vfioIndex)"
        try at.makeDirectory("vfio-dev")
        try at.makeDirectory(vfio)
        for attribute in Self.attributes(shown) { try write(attribute, in: at) }
        if registration == .iommuGroup {
            let group = root.join("sys/kernel/iommu_groups/\(parent.iommuGroup)")
            try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)
            try attribute("\(group)/reserved_regions", Self.reservedRegions(parent.reservedIOVA))
            try link("\(directory)/iommu_group", to: group)
        }
        try vfioFiles(device.vfioIndex, in: at)
        try classLink(device, texts: texts)
        recycler.markWhole(device.vfioIndex)
    }

    /// The attributes of `vfio-dev/vfioN` in a subdevice's directory `at`,
    /// which say which node is N's.
    private func vfioFiles(_ vfio: UInt32, in at: Directory) throws {
        try at.attribute("vfio-dev/vfio\(vfio)/uevent", "DEVNAME=vfio/devices/vfio\(vfio)\n")
        try at.attribute("vfio-dev/vfio\(vfio)/dev_node", "\(root.devNode(vfio))\n")
    }

    /// `sys/class/vfio-dev/vfioN`, a relative link to the subdevice's `vfio-dev/vfioN`.
    private func classLink(_ device: Subdevice, texts: SysfsParentTexts.Texts) throws {
        try classLinks.add(Self.classTarget(device, texts: texts))
    }

    private static func classTarget(_ device: Subdevice, texts: SysfsParentTexts.Texts) -> SysfsClassLinks.Target {
        SysfsClassLinks.Target(parent: texts.classTarget, index: device.index, vfio: device.vfioIndex)
    }

    /// Makes the directory `kept`, now subdevice `device`'s in its
    /// parent's directory (`texts`), `device`'s: renames its
    /// `vfio-dev/vfioN` and writes again each attribute whose contents
    /// differ.
    private func refit(_ kept: SysfsRecycler.Kept, in texts: SysfsParentTexts.Texts, as device: Subdevice,
                       shown: Shown) throws {
        // Made alike, as in a loop of creates and deletes: nothing to write.
        if kept.vfio == device.vfioIndex, kept.shown == shown { return }
        let directory = texts.subdevicePath(device.index)
        let attributes = Self.attributes(shown), old = Self.attributes(kept.shown)
        let changed = attributes.filter { !old.contains($0) }
        let gone = old.filter { old in !attributes.contains { $0.name == old.name } }
        let at = try Directory(directory)
        defer { at.close() }
        if kept.vfio != device.vfioIndex {
            guard renameat(at.fd, "vfio-dev/vfio\(kept.vfio)", at.fd, "vfio-dev/vfio\(device.vfioIndex)") == 0 else {
                throw ModelRootError("cannot rename \(directory)/vfio-dev/vfio\(kept.vfio): \(String(cString: strerror(errno)))")
            }
            try vfioFiles(device.vfioIndex, in: at)
        }
        for attribute in changed { try write(attribute, in: at) }
        for attribute in gone { at.remove(attribute.name) }
    }

    /// Writes `attribute`, as a link to the kept copy when it is shared
    /// and one can be made, else as a file of its own; either replaces
    /// what is there.
    private func write(_ attribute: Attribute, in at: Directory) throws {
        if attribute.shared, contents.link(attribute.contents, as: attribute.name, in: at.fd) { return }
        try at.attribute(attribute.name, attribute.contents)
    }

    /// One attribute file of a subdevice: what it holds, and whether other
    /// subdevices are likely to hold the same (then it is linked from
    /// `contents`).
    struct Attribute: Equatable {
        let name: String
        let contents: String
        let shared: Bool
    }

    /// What a subdevice's attributes are made from: the same for two
    /// subdevices means the same files, compared without making them.
    struct Shown: Equatable {
        let typeName: String
        let index: UInt32
        let name: String?
        let pasid: UInt32?
        let registration: Registration
        let reservedRegions: String

        init(_ device: Subdevice, registration: Registration, reservedRegions: String) {
            typeName = device.typeName
            index = device.index
            name = device.name
            pasid = device.pasid
            self.registration = registration
            self.reservedRegions = reservedRegions
        }
    }

    /// A subdevice's attribute files. A name and a PASID are one
    /// subdevice's own.
    static func attributes(_ shown: Shown) -> [Attribute] {
        let index = String(shown.index)
        var uevent = "SUBDEV_TYPE=" + shown.typeName + "\nSUBDEV_INDEX=" + index + "\n"
        if let name = shown.name { uevent += "SUBDEV_NAME=" + name + "\n" }
        var files: [Attribute] = []
        files.reserveCapacity(7)
        files.append(Attribute(name: "uevent", contents: uevent, shared: shown.name == nil))
        files.append(Attribute(name: "type", contents: shown.typeName + "\n", shared: true))
        files.append(Attribute(name: "name", contents: (shown.name ?? "") + "\n", shared: shown.name == nil))
        files.append(Attribute(name: "index", contents: index + "\n", shared: true))
        files.append(Attribute(name: "registration", contents: shown.registration.rawValue + "\n", shared: true))
        files.append(Attribute(name: "reserved_regions", contents: shown.reservedRegions, shared: true))
        if let pasid = shown.pasid { files.append(Attribute(name: "pasid", contents: String(pasid) + "\n", shared: false)) }
        return files
    }

    /// Removes what `add` made: into the recycler when `add` finished the
    /// directory and there is room, else entry by entry, relative to the
    /// subdevice's directory.
    func remove(_ device: Subdevice, parent: Parent) {
        let texts = parentTexts.texts(of: parent)
        classLinks.remove(Self.classTarget(device, texts: texts))
        let registration = parent.registration(of: device.typeName) ?? .emulatedIOMMU
        if recycler.unmarkWhole(device.vfioIndex), registration != .iommuGroup,
           recycler.keep(texts.subdevice(device.index),
                         shown: Shown(device, registration: registration, reservedRegions: texts.reservedRegions),
                         vfio: device.vfioIndex) {
            return
        }
        let directory = texts.subdevicePath(device.index)
        guard let at = try? Directory(directory) else { return }
        let vfio = "vfio-dev/vfio\(device.vfioIndex)"
        for file in ["uevent", "dev_node"] { at.remove("\(vfio)/\(file)") }
        at.remove(vfio, directory: true)
        at.remove("vfio-dev", directory: true)
        for file in ["uevent", "type", "name", "index", "registration", "reserved_regions"] { at.remove(file) }
        if device.pasid != nil { at.remove("pasid") }
        // Only a whole-function type has the link; what else is left
        // goes with the directory below.
        if registration == .iommuGroup { at.remove("iommu_group") }
        at.close()
        if rmdir(directory) != 0 && errno != ENOENT {
            // Something else was put there; take it all.
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The kernel's reserved_regions format: start, end, kind per line.
    static func reservedRegions(_ ranges: [IOVARange]) -> String {
        ranges.map { "\(hex($0.start)) \(hex($0.end)) \($0.kind)\n" }.joined()
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// Makes `path` and any missing directories above it.
    private func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A read-only attribute file (0444, as sysfs shows them).
    private func attribute(_ path: String, _ contents: String) throws {
        try Self.writeAttribute(path, relativeTo: AT_FDCWD, contents, path: path)
    }

    /// A directory held open, for calls relative to it.
    private struct Directory {
        let path: String
        let fd: Int32

        init(_ path: String) throws {
            fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw ModelRootError("cannot open \(path): \(String(cString: strerror(errno)))") }
            self.path = path
        }

        func close() { _ = Glibc.close(fd) }

        func makeDirectory(_ name: String) throws {
            guard mkdirat(fd, name, 0o755) == 0 || errno == EEXIST else {
                throw ModelRootError("cannot make \(path)/\(name): \(String(cString: strerror(errno)))")
            }
        }

        /// A read-only attribute file (0444, as sysfs shows them).
        func attribute(_ name: String, _ contents: String) throws {
            try SysfsTree.writeAttribute(name, relativeTo: fd, contents, path: "\(path)/\(name)")
        }

        /// Unlinks `name`; absent is fine.
        func remove(_ name: String, directory: Bool = false) {
            _ = RelativeFileCalls.unlink(fd, name, flags: directory ? AT_REMOVEDIR : 0)
        }
    }

    /// Creates `name` (relative to directory `at`, or `AT_FDCWD`) anew
    /// with mode 0444 and writes `contents`; errors show `path`. A file
    /// already there is unlinked, never truncated: it may be a link to a
    /// content other subdevices show (`SysfsContents`).
    private static func writeAttribute(_ name: String, relativeTo at: Int32, _ contents: String, path: String) throws {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var fd = openat(at, name, flags, 0o444)
        if fd < 0, errno == EEXIST, unlinkat(at, name, 0) == 0 { fd = openat(at, name, flags, 0o444) }
        guard fd >= 0 else { throw ModelRootError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { _ = Glibc.close(fd) }
        var contents = contents
        let written = contents.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == contents.utf8.count else {
            throw ModelRootError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A relative symbolic link at `path` to `target`, as sysfs makes them.
    private func link(_ path: String, to target: String) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        try symbolicLink(path, to: Self.relative(target, from: directory))
    }

    /// A symbolic link at `path` holding `destination`, replacing what is
    /// there and making missing directories above it.
    private func symbolicLink(_ path: String, to destination: String) throws {
        if symlink(destination, path) == 0 { return }
        if errno == ENOENT {
            try makeDirectory(path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
        } else {
            unlink(path)
        }
        guard symlink(destination, path) == 0 else {
            throw ModelRootError("cannot link \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The path of `target` relative to `directory`, both absolute and
    /// without `.`, `..` or doubled slashes: "../" for each component of
    /// `directory` below their common ancestor, then the rest of `target`.
    /// Byte by byte, since every `dev-new` makes a link.
    static func relative(_ target: String, from directory: String) -> String {
        let slash = UInt8(ascii: "/")
        var from = Array(directory.utf8)
        while from.last == slash { from.removeLast() }  // "/" is the empty path before the first component
        let to = Array(target.utf8)
        var same = 0
        while same < to.count, same < from.count, to[same] == from[same] { same += 1 }
        // Back to the end of the last component both share whole.
        var ancestor = same
        let endsBoth = (same == from.count || from[same] == slash) && (same == to.count || to[same] == slash)
        if !endsBoth { ancestor = to[..<same].lastIndex(of: slash) ?? 0 }
        let ups = from[ancestor...].filter { $0 == slash }.count
        var rest = to[ancestor...]
        if rest.first == slash { rest = rest.dropFirst() }
        var result = [UInt8]()
        result.reserveCapacity(3 * ups + rest.count)
        for _ in 0..<ups { result.append(contentsOf: "../".utf8) }
        result.append(contentsOf: rest)
        if rest.isEmpty, !result.isEmpty { result.removeLast() }
        return String(decoding: result, as: UTF8.self)
    }
}
