import SubdevUAPI

/// Errors reported on a parent or a subdevice, by severity, and the resets
/// that recoveries did: what the kernel's aer_dev_* sysfs counters and a
/// VMM's logs would show.
public struct AERStats: Sendable, Hashable {
    public var correctable: UInt64 = 0
    public var nonFatal: UInt64 = 0
    public var fatal: UInt64 = 0
    public var resets: UInt64 = 0

    public init() {}

    /// Counts one error of `severity`.
    mutating func count(_ severity: SubdevAerSeverity) {
        switch severity {
        case .correctable: correctable += 1
        case .nonFatal: nonFatal += 1
        case .fatal: fatal += 1
        }
    }
}
