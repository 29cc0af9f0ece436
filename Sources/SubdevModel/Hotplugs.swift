import Foundation
import SubdevUAPI

/// Hotplug requests with attention-button semantics, as pciehp has them:
/// a request is announced and waits out its window, in which a second
/// press cancels it; then it proceeds. Keyed by parent handle.
struct Hotplugs {
    struct Pending {
        var action: SubdevHotplugAction
        var windowEnds: TimeInterval
        var windowMilliseconds: UInt32
        /// Past the window: subdevices are being removed.
        var proceeding = false
        /// Deadline of each subdevice's soft removal; `nil` waits for the holders.
        var deadlineMilliseconds: UInt32?
    }

    private(set) var pending: [String: Pending] = [:]

    /// Nearly always none: no hashing then, as every create asks.
    func request(for parent: String) -> Pending? { pending.isEmpty ? nil : pending[parent] }

    /// Whether no request is pending: asked first, a create reads no
    /// parent's handle to look one up.
    var isEmpty: Bool { pending.isEmpty }

    mutating func start(_ parent: String, action: SubdevHotplugAction, windowMilliseconds: UInt32, deadlineMilliseconds: UInt32?) {
        pending[parent] = Pending(action: action, windowEnds: Removals.now() + Double(windowMilliseconds) / 1000,
                                  windowMilliseconds: windowMilliseconds, deadlineMilliseconds: deadlineMilliseconds)
    }

    mutating func finish(_ parent: String) -> Pending? { pending.removeValue(forKey: parent) }

    /// Requests whose window ended now: they are marked proceeding.
    mutating func due() -> [(parent: String, request: Pending)] {
        let now = Removals.now()
        let ended = pending.filter { !$0.value.proceeding && now >= $0.value.windowEnds }.sorted { $0.key < $1.key }
        for (parent, _) in ended { pending[parent]?.proceeding = true }
        return ended.map { ($0.key, $0.value) }
    }

    /// Milliseconds until a window ends, for `poll`; -1 when none waits.
    func timeout() -> Int32 {
        guard let next = pending.values.filter({ !$0.proceeding }).map(\.windowEnds).min() else { return -1 }
        return Int32(max(0, min(Double(Int32.max), (next - Removals.now()) * 1000).rounded(.up)))
    }
}
