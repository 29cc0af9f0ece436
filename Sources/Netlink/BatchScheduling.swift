import CSystemCalls

/// Runs work with the calling thread under `SCHED_BATCH` (sched(7)), then
/// puts the thread back under `SCHED_OTHER`.
///
/// Why: a pipeline waits for many answers from a peer in another process.
/// On a CPU the two share, a `SCHED_OTHER` thread that the peer's first
/// answer wakes may preempt the peer, read that one answer and sleep
/// again, so that the peer is woken for the next: up to two context
/// switches an answer. A kernel family has none to make, as it queues its
/// answers within the requester's own `sendmsg`. A `SCHED_BATCH` thread's
/// wake-ups preempt nothing, so the peer sends all it has before the
/// thread reads it; the thread keeps its nice value and its share of the
/// CPU. Against the model, pipelined deletes took about a fifth less time
/// (Docs/performance.md, P2a); against the kernel nothing changes.
///
/// Only a thread under `SCHED_OTHER` is moved: one under another policy,
/// or with `SCHED_RESET_ON_FORK` set, is left as it is. A thread that
/// cannot be moved runs the work as it is.
enum BatchScheduling {
    /// Runs `body`, under `SCHED_BATCH` when `condition` holds.
    static func run<Result>(if condition: Bool, _ body: () throws -> Result) rethrows -> Result {
        let moved = condition && subdev_thread_batch_begin() == 1
        defer { if moved { _ = subdev_thread_batch_end() } }
        return try body()
    }
}
