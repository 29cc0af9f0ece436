#if canImport(Glibc)
import Glibc
#endif

/// Attribute contents that many subdevices share (a type's name and
/// registration, a parent's reserved regions, an index, an empty name),
/// each kept once as a file under `ROOT/.sysfs-contents` and hard-linked
/// into every subdevice directory that shows it.
///
/// On tmpfs a new file costs an inode, a page for its contents, and both
/// again to free them; a link costs a directory entry. Sysfs itself makes
/// no inode for an attribute until someone looks it up, so the mirror's
/// files were most of what a `dev-new` and `dev-del` cost (see
/// Docs/performance.md). A reader sees the same bytes either way; only a
/// link count above one, and one inode number for equal contents, tell
/// the two apart. The kept files are read-only (0444) and never written
/// again, so no subdevice's file can change another's.
///
/// At most `limit` distinct contents are kept, until the model stops;
/// past that, attributes are written as files of their own.
///
/// Used from the model's one thread.
final class SysfsContents {
    /// Opened when the first content is kept.
    let store: StoreDirectory
    let limit: Int
    /// The kept file's name for each content.
    private var kept: [String: String] = [:]
    /// Set when a link crossed file systems: every attribute is written.
    private var unlinkable = false

    init(root: ModelRoot, limit: Int = 4096) {
        store = StoreDirectory(root.join(Self.name))
        self.limit = limit
    }

    /// The store's directory below the root, beside `sys`, so that a walk
    /// of the sysfs tree does not find it.
    static let name = ".sysfs-contents"

    /// Makes `name`, in the directory open at `at`, a link to the kept
    /// file holding `contents`, keeping one if there is none yet.
    ///
    /// - Returns: false when no link was made (the store is full or could
    ///   not be written), and the caller writes the file itself.
    func link(_ contents: String, as name: String, in at: Int32) -> Bool {
        guard !unlinkable, let file = keptFile(for: contents) else { return false }
        if RelativeFileCalls.link(store.fd, file, at, name) == 0 { return true }
        if errno == EXDEV {
            // `sys` is another file system (`--root /` with the model's own
            // /sys mounted): nothing kept can be linked there.
            unlinkable = true
            return false
        }
        // Left over from a registration that failed half way.
        guard errno == EEXIST, RelativeFileCalls.unlink(at, name) == 0 else { return false }
        return RelativeFileCalls.link(store.fd, file, at, name) == 0
    }

    /// The name of the kept file holding `contents`, made if need be.
    private func keptFile(for contents: String) -> String? {
        if let file = kept[contents] { return file }
        guard kept.count < limit, store.open() else { return nil }
        let file = String(kept.count)
        let out = openat(store.fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o444)
        guard out >= 0 else { return nil }
        defer { close(out) }
        var bytes = contents
        let written = bytes.withUTF8 { write(out, $0.baseAddress, $0.count) }
        guard written == contents.utf8.count else {
            unlinkat(store.fd, file, 0)
            return nil
        }
        kept[contents] = file
        return file
    }
}
