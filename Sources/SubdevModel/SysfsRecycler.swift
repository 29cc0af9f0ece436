#if canImport(Glibc)
import Glibc
#endif

/// Subdevice directories that `dev-del` took out of the sysfs mirror
/// whole, kept under `ROOT/.sysfs-recycled` for a later `dev-new` to put
/// back, with only the attributes that differ written again.
///
/// A subdevice's directory is three directories and eight files or links;
/// on tmpfs every entry is an inode to make and then to free, and that
/// was most of what `dev-new` and `dev-del` cost with the mirror (see
/// Docs/performance.md). Moving a directory out and back is one `renameat`
/// each way, and subdevices made alike differ in few attributes, often
/// none.
///
/// A reader of `sys` sees the same entries with the same bytes. A
/// recycled directory appears with all its attributes at once, where a
/// new one fills in entry by entry; its inode numbers and timestamps are
/// from its earlier life. Only directories known whole are kept: those
/// `add` finished, marked by their `vfioN`.
///
/// Used from the model's one thread.
final class SysfsRecycler {
    /// A kept directory: its name in the store, what its attributes were
    /// made from, and the N of its `vfio-dev/vfioN`.
    struct Kept {
        let name: String
        let shown: SysfsTree.Shown
        let vfio: UInt32
    }

    /// The store's directory below the root, beside `sys`, so that a walk
    /// of the sysfs tree does not find it.
    static let name = ".sysfs-recycled"

    /// Opened when the first directory is kept.
    let store: StoreDirectory
    let limit: Int
    /// Most recently kept last: taken first, as its pages are likeliest cached.
    private var kept: [Kept] = []
    private var nextName = 0
    /// `vfioN` of the subdevices whose directories `add` finished.
    private var whole: Set<UInt32> = []

    init(root: ModelRoot, limit: Int = 256) {
        store = StoreDirectory(root.join(Self.name))
        self.limit = limit
    }

    /// Marks the directory of subdevice `vfio` whole: `add` finished it.
    func markWhole(_ vfio: UInt32) {
        whole.insert(vfio)
    }

    /// Forgets that subdevice `vfio`'s directory is whole, as it goes;
    /// returns whether it was.
    func unmarkWhole(_ vfio: UInt32) -> Bool {
        whole.remove(vfio) != nil
    }

    /// Moves the whole directory at `entry`, of subdevice `vfio`, into the
    /// store, recording that its attributes were made from `shown`.
    ///
    /// - Returns: false when it was not moved (the store is full or cannot
    ///   be made, or the rename failed): the caller removes it entry by
    ///   entry.
    func keep(_ entry: SysfsParentTexts.Entry, shown: SysfsTree.Shown, vfio: UInt32) -> Bool {
        let name = String(nextName)
        guard kept.count < limit, store.moveIn(entry.name, relativeTo: entry.directory, as: name) else { return false }
        nextName += 1
        kept.append(Kept(name: name, shown: shown, vfio: vfio))
        return true
    }

    /// Moves the directory kept last to `entry` and returns what it holds;
    /// `nil` when none is kept or the rename failed (something is at
    /// `entry`), which leaves the store as it was.
    func take(to entry: SysfsParentTexts.Entry) -> Kept? {
        guard let last = kept.last, store.moveOut(last.name, to: entry.name, relativeTo: entry.directory) else { return nil }
        return kept.removeLast()
    }
}
