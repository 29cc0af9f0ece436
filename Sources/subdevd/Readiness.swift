import CSystemCalls
import Foundation

/// Tells the service manager how the daemon stands, as `sd_notify(3)`
/// does: a datagram to `$NOTIFY_SOCKET` (systemd's `Type=notify`). Without
/// the variable it does nothing, so the daemon runs the same anywhere.
struct Readiness {
    let socket: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The daemon answers requests.
    func ready(status: String) {
        send("READY=1\nMAINPID=\(getpid())\nSTATUS=\(status)")
    }

    /// The daemon is shutting down.
    func stopping() {
        send("STOPPING=1\nSTATUS=shutting down: device nodes and the sysfs tree removed")
    }

    private func send(_ message: String) {
        guard let socket else { return }
        if subdev_notify_send(socket, message) != 0 {
            // The manager waits in vain and says so itself; say why here.
            FileHandle.standardError.write(Data("subdevd: cannot notify \(socket): \(String(cString: strerror(errno)))\n".utf8))
        }
    }
}
