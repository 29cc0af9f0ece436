import Foundation

/// Removals waiting for holders to let go, as the kernel's VFIO release
/// loop waits: a remove request now, then one every interval, each with a
/// growing counter, until the holders are gone or the deadline makes the
/// removal hard.
struct Removals {
    struct Pending {
        var counter: UInt32 = 0
        var nextRequest: TimeInterval
        /// When the removal turns hard; `nil` waits for ever.
        var deadline: TimeInterval?
        var deadlineMilliseconds: UInt32?
        var requested: TimeInterval
    }

    /// Time between remove requests, in seconds.
    let interval: TimeInterval
    private(set) var pending: [UInt32: Pending] = [:]

    init(interval: TimeInterval) {
        self.interval = interval
    }

    /// A monotonic clock in seconds.
    static func now() -> TimeInterval { ProcessInfo.processInfo.systemUptime }

    mutating func start(_ vfio: UInt32, deadlineMilliseconds: UInt32?) {
        let now = Self.now()
        pending[vfio] = Pending(nextRequest: now, deadline: deadlineMilliseconds.map { now + Double($0) / 1000 },
                                deadlineMilliseconds: deadlineMilliseconds, requested: now)
    }

    mutating func finish(_ vfio: UInt32) -> Pending? { pending.removeValue(forKey: vfio) }

    func isRemoving(_ vfio: UInt32) -> Bool { pending[vfio] != nil }

    /// What is due now: removals whose deadline passed, and the next remove
    /// request of the others (counted and rescheduled).
    mutating func due() -> (requests: [(vfio: UInt32, counter: UInt32, deadlineLeftMs: UInt32?)], expired: [UInt32]) {
        let now = Self.now()
        var requests: [(UInt32, UInt32, UInt32?)] = []
        var expired: [UInt32] = []
        for (vfio, removal) in pending.sorted(by: { $0.key < $1.key }) {
            if let deadline = removal.deadline, now >= deadline {
                expired.append(vfio)
                continue
            }
            guard now >= removal.nextRequest else { continue }
            pending[vfio]?.counter += 1
            // From now, not from when it was due: a late loop sends one
            // request, not a burst of the ones it missed.
            pending[vfio]?.nextRequest = now + interval
            let left = removal.deadline.map { UInt32(max(0, ($0 - now) * 1000)) }
            requests.append((vfio, removal.counter + 1, left))
        }
        return (requests, expired)
    }

    /// Milliseconds until something is due, for `poll`; -1 when nothing waits.
    func timeout() -> Int32 {
        let next = pending.values.map { min($0.nextRequest, $0.deadline ?? .infinity) }.min()
        guard let next else { return -1 }
        return Int32(max(0, min(Double(Int32.max), (next - Self.now()) * 1000).rounded(.up)))
    }
}
