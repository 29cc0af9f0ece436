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
    private let poller: Poller
    private var pidfds: [UInt32: (fd: Int32, pid: Int32)] = [:]
    /// The subdevice each pidfd watches for.
    private var byDescriptor: [Int32: UInt32] = [:]

    init(poller: Poller) {
        self.poller = poller
    }

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
        do {
            try poller.add(fd)
        } catch {
            close(fd)
            throw error
        }
        pidfds[vfio] = (fd, pid)
        byDescriptor[fd] = vfio
    }

    func stop(_ vfio: UInt32) {
        guard let entry = pidfds.removeValue(forKey: vfio) else { return }
        byDescriptor[entry.fd] = nil
        poller.remove(entry.fd)
        close(entry.fd)
    }

    /// The subdevice whose owner exited, when `fd` is one of its pidfds.
    func exited(_ fd: Int32) -> (vfio: UInt32, pid: Int32)? {
        guard let vfio = byDescriptor[fd], let entry = pidfds[vfio] else { return nil }
        stop(vfio)
        return (vfio, entry.pid)
    }
}
