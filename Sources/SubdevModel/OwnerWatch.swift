import CSystemCalls
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Watches the processes that process-bound subdevices belong to, with a
/// pidfd each: it becomes readable when the process exits, with no race
/// against pid reuse.
///
/// Used from the model's one thread.
final class OwnerWatch {
    private var pidfds: [UInt32: (fd: Int32, pid: Int32)] = [:]

    deinit {
        for entry in pidfds.values { close(entry.fd) }
    }

    /// Starts watching `pid` for the subdevice registered as `vfio`.
    ///
    /// - Throws: `NetlinkError` `ESRCH` when the process is already gone.
    func watch(_ pid: Int32, for vfio: UInt32) throws {
        let fd = subdev_pidfd_open(pid)
        guard fd >= 0 else {
            let code = errno
            throw NetlinkError(errno: code, message: code == ESRCH
                ? "the creating process \(pid) is gone, so nothing can own the subdevice"
                : "cannot watch the creating process \(pid): \(String(cString: strerror(code)))")
        }
        pidfds[vfio] = (fd, pid)
    }

    func stop(_ vfio: UInt32) {
        if let entry = pidfds.removeValue(forKey: vfio) { close(entry.fd) }
    }

    var descriptors: [Int32] { pidfds.values.map(\.fd) }

    /// The subdevice whose owner exited, when `fd` is one of its pidfds.
    func exited(_ fd: Int32) -> (vfio: UInt32, pid: Int32)? {
        guard let (vfio, entry) = pidfds.first(where: { $0.value.fd == fd }) else { return nil }
        stop(vfio)
        return (vfio, entry.pid)
    }
}
