#if canImport(Glibc)
import Glibc
#endif

/// A directory the model keeps things in, beside the tree they came from
/// so that a walk of that tree does not find them: made and opened the
/// first time it is needed, then used for calls relative to it. The
/// registry removes it when the model starts and stops. A directory of
/// the tree itself that many calls name, such as `dev/vfio/devices`, is
/// held open the same way.
///
/// Used from the model's one thread.
final class StoreDirectory {
    let path: String
    /// The mode the directory is made with.
    let mode: mode_t
    /// The open directory; -1 until `open()` succeeds.
    private(set) var fd: Int32 = -1
    /// Set when something could not be moved in across file systems
    /// (`--root /` with the model's own `/sys` or `/dev` mounted): from
    /// then on nothing is tried.
    private var unmovable = false

    /// - Parameter mode: 0755 unless what is kept must not be reached
    ///   through it.
    init(_ path: String, mode: mode_t = 0o755) {
        self.path = path
        self.mode = mode
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Opens the directory, making it first if need be; false when it
    /// cannot be made or opened.
    func open() -> Bool {
        if fd >= 0 { return true }
        guard mkdir(path, mode) == 0 || errno == EEXIST else { return false }
        fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        return fd >= 0
    }

    /// Moves what is at `path` (relative to the open directory `directory`
    /// unless absolute) into the store as `name`; false when it was not
    /// moved (the store cannot be made, or the rename failed).
    func moveIn(_ path: String, relativeTo directory: Int32 = AT_FDCWD, as name: String) -> Bool {
        guard !unmovable, open() else { return false }
        guard RelativeFileCalls.rename(directory, path, fd, name) == 0 else {
            if errno == EXDEV { unmovable = true }
            return false
        }
        return true
    }

    /// Moves `name` out of the store to `path` (relative to the open
    /// directory `directory` unless absolute); false when the rename
    /// failed, which leaves it in the store.
    func moveOut(_ name: String, to path: String, relativeTo directory: Int32 = AT_FDCWD) -> Bool {
        fd >= 0 && RelativeFileCalls.rename(fd, name, directory, path) == 0
    }

    /// Gives `name` in the store a second name, `target` in the open
    /// directory `directory`, keeping the first; with `replacing`, what is
    /// at `target` is unlinked first if need be. False when no link was
    /// made.
    func link(_ name: String, into directory: Int32, as target: String, replacing: Bool = false) -> Bool {
        guard fd >= 0 else { return false }
        if RelativeFileCalls.link(fd, name, directory, target) == 0 { return true }
        return replacing && errno == EEXIST && RelativeFileCalls.unlink(directory, target) == 0
            && RelativeFileCalls.link(fd, name, directory, target) == 0
    }
}
