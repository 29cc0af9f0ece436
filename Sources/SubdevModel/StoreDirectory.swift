#if canImport(Glibc)
import Glibc
#endif

/// A directory the sysfs mirror keeps things in, beside `sys` so that a
/// walk of the tree does not find it: made and opened the first time it
/// is needed, then used for calls relative to it. The registry removes it
/// when the model starts and stops.
///
/// Used from the model's one thread.
final class StoreDirectory {
    let path: String
    /// The open directory; -1 until `open()` succeeds.
    private(set) var fd: Int32 = -1

    init(_ path: String) {
        self.path = path
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Opens the directory, making it first if need be; false when it
    /// cannot be made or opened.
    func open() -> Bool {
        if fd >= 0 { return true }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { return false }
        fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        return fd >= 0
    }
}
