import Dispatch

/// Where a `SubdevClient` makes its blocking socket calls.
///
/// A request to a local peer is answered in microseconds, sooner than a
/// handover to another thread and back (on this project's benchmark
/// machine the handover alone cost about 9 µs per request, a third of a
/// `parent-get`). The choice is how long a peer that stops answering may
/// hold the caller's thread (a thread of the cooperative pool, or the main
/// thread for a caller on the main actor): up to the client's timeout with
/// `caller`, never with `dedicated`.
public enum RequestThread: Sendable {
    /// On the calling task's thread, which waits for the reply (default):
    /// on the main actor, the main thread.
    /// Requests of one client are serialised, so a task whose request
    /// queues behind another's waits for it on its thread too.
    case caller
    /// On a serial dispatch queue of the client's own; the calling task is
    /// suspended meanwhile and leaves its thread to other tasks.
    case dedicated

    /// Runs `work` where this says and returns its result.
    nonisolated(nonsending) func run<T: Sendable>(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        switch self {
        case .caller:
            return try work()
        case .dedicated:
            return try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try work() }) }
            }
        }
    }
}
