import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `sys/class/vfio-dev/vfioN` links, made and removed relative to
/// their directory held open, with the link of each N kept once under
/// `ROOT/.sysfs-class-links` to be hard-linked back.
///
/// A symbolic link on tmpfs is an inode, made and freed with the link;
/// a second name for a kept one is a directory entry. Over 100 000
/// rounds on one CPU, `symlinkat` and the `unlinkat` that frees it took
/// 3.6 and 3.1 µs, `linkat` of a kept link and its `unlinkat` 2.8 and
/// 2.1 µs. A reader sees the same link holding the same target; its
/// inode number is the kept one's, and stays from one subdevice to the
/// next.
///
/// The link kept for N is the first one N's removal could keep, and
/// stays until the model stops: a subdevice whose N and target are the
/// same (the same parent and index, as when a VMM makes and deletes one
/// again and again) gets it back, any other gets a link of its own.
/// Keeping the newest instead would make every round-robin create over
/// many parents pay a rename for the link it replaces. At most `limit`
/// are kept.
///
/// Used from the model's one thread.
final class SysfsClassLinks {
    /// The store's directory below the root, beside `sys`, so that a walk
    /// of the sysfs tree does not find it.
    static let name = ".sysfs-class-links"

    /// `ROOT/sys/class/vfio-dev`, made and opened with the first link.
    let directory: StoreDirectory
    /// Opened when the first link is kept.
    let store: StoreDirectory
    let limit: Int
    /// Where a class link points: the subdevice's `vfio-dev/vfioN` below
    /// its parent's directory, which is `parent` from `sys/class/vfio-dev`.
    /// Kept in pieces, so that the kept link's is compared without making
    /// the path (3.6 k instructions a create, by callgrind): `parent` is
    /// the one string `SysfsParentTexts` holds, and equal strings that
    /// share their storage compare at once.
    struct Target: Equatable {
        let parent: String
        let index: UInt32
        let vfio: UInt32

        var path: String { parent + "/subdev." + String(index) + "/vfio-dev/vfio" + String(vfio) }
    }

    /// The target of the link kept for each N.
    private var kept: [UInt32: Target] = [:]
    /// The N whose link in `directory` is the kept one, a second name for it.
    private var linked: Set<UInt32> = []

    init(root: ModelRoot, limit: Int = 256) {
        directory = StoreDirectory(root.join(SysfsTree.classDirectory))
        store = StoreDirectory(root.join(Self.name))
        self.limit = limit
    }

    private static func linkName(_ vfio: UInt32) -> String { "vfio" + String(vfio) }

    /// Makes `sys/class/vfio-dev/vfioN`, a symbolic link to `target`,
    /// replacing what is there.
    func add(_ target: Target) throws {
        if !directory.open() {
            try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
            guard directory.open() else {
                throw ModelRootError("cannot open \(directory.path): \(String(cString: strerror(errno)))")
            }
        }
        let name = Self.linkName(target.vfio)
        if kept[target.vfio] == target, store.link(name, into: directory.fd, as: name, replacing: true) {
            linked.insert(target.vfio)
            return
        }
        let path = target.path
        if RelativeFileCalls.symlink(path, directory.fd, name) == 0 { return }
        // Left over from a registration that failed half way.
        guard errno == EEXIST, RelativeFileCalls.unlink(directory.fd, name) == 0,
              RelativeFileCalls.symlink(path, directory.fd, name) == 0 else {
            throw ModelRootError("cannot link \(directory.path)/\(name): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the class link `add` made for `target`, keeping it when
    /// none is kept for its N yet and there is room.
    func remove(_ target: Target) {
        guard directory.fd >= 0 else { return }
        let name = Self.linkName(target.vfio)
        if linked.remove(target.vfio) == nil, kept[target.vfio] == nil, kept.count < limit,
           store.moveIn(name, relativeTo: directory.fd, as: name) {
            kept[target.vfio] = target
            return
        }
        _ = RelativeFileCalls.unlink(directory.fd, name)
    }
}
