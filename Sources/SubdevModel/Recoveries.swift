import Foundation
import Netlink
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// AER recoveries waiting for holders to answer error-detected, as the
/// kernel's pcie_do_recovery asks each driver's error_detected and merges
/// the results: one per subdevice, keyed by its vfioN.
struct Recoveries {
    struct Pending {
        /// Sequence number of the error-detected event, which answers name.
        var sequence: UInt64
        var severity: SubdevAerSeverity
        var channel: SubdevChannelState
        /// Holders asked; each answers once or is disconnected at the deadline.
        var asked: Set<Int32>
        var answers: [Int32: SubdevAerResult] = [:]
        var deadline: TimeInterval
        var timeoutMilliseconds: UInt32

        /// Whether every holder asked has answered (or let go).
        var isComplete: Bool { asked.isSubset(of: Set(answers.keys)) }
    }

    private(set) var pending: [UInt32: Pending] = [:]

    func isRecovering(_ vfio: UInt32) -> Bool { pending[vfio] != nil }

    mutating func start(_ vfio: UInt32, sequence: UInt64, severity: SubdevAerSeverity, channel: SubdevChannelState,
                        holders: [Holder], timeoutMilliseconds: UInt32) {
        pending[vfio] = Pending(sequence: sequence, severity: severity, channel: channel, asked: Set(holders.map(\.pid)),
                                deadline: Removals.now() + Double(timeoutMilliseconds) / 1000,
                                timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Records `pid`'s answer to the error-detected event `sequence` of `vfio`.
    ///
    /// - Throws: `NetlinkError` naming what is wrong: no recovery waits,
    ///   another event's sequence, not a holder that was asked, a second answer.
    mutating func answer(_ vfio: UInt32, handle: String, pid: Int32, sequence: UInt64, result: SubdevAerResult,
                         offset: (SubdevEventAttr) -> UInt32?) throws {
        guard let recovery = pending[vfio] else {
            throw NetlinkError(errno: ENOENT, message: "\(handle) has no AER recovery waiting for an answer")
        }
        guard recovery.sequence == sequence else {
            throw NetlinkError(errno: ESTALE, message: "seq \(sequence) is not the error-detected event of \(handle)'s recovery, which is \(recovery.sequence)",
                               offset: offset(.seq))
        }
        guard recovery.asked.contains(pid) else {
            throw NetlinkError(errno: EPERM, message: "process \(pid) was not holding \(handle) when the error was detected")
        }
        guard recovery.answers[pid] == nil else {
            throw NetlinkError(errno: EALREADY, message: "process \(pid) already answered \(recovery.answers[pid]?.name ?? "") for \(handle)",
                               offset: offset(.aerResult))
        }
        pending[vfio]?.answers[pid] = result
    }

    /// A holder let go during the recovery: it no longer has to answer.
    mutating func forget(_ vfio: UInt32, pid: Int32) {
        pending[vfio]?.asked.remove(pid)
    }

    mutating func finish(_ vfio: UInt32) -> Pending? { pending.removeValue(forKey: vfio) }

    /// Recoveries that are complete or whose deadline passed.
    func due() -> [UInt32] {
        let now = Removals.now()
        return pending.filter { $0.value.isComplete || now >= $0.value.deadline }.keys.sorted()
    }

    /// Milliseconds until a deadline passes, for `poll`; -1 when none waits.
    func timeout() -> Int32 {
        guard let next = pending.values.map(\.deadline).min() else { return -1 }
        return Int32(max(0, min(Double(Int32.max), (next - Removals.now()) * 1000).rounded(.up)))
    }
}
