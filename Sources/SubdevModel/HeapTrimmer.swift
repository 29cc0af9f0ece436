/// Decides when the model gives the heap's free pages back to the system:
/// after many subdevices went, once the model has rested a moment.
///
/// glibc keeps what `free` returns for the next `malloc`, and gives back
/// by itself only what lies at the top of the heap. After a million
/// subdevices came and went, the model stayed at 57 to 258 MiB resident
/// with 19 MiB in use, most of that its receive room; `malloc_trim` took
/// it back to its size at start.
/// A kernel frees each object's pages as it goes; the model waits for a
/// pause instead, so that a batch of deletes pays nothing for it and a
/// model that is never idle, whose free memory is soon used again, never
/// trims.
///
/// Pure bookkeeping, with the clock passed in: `ModelServer` asks it after
/// each wake-up and does the trim.
struct HeapTrimmer: Sendable {
    /// How many subdevices fewer than the most since the last trim make
    /// one worth its cost (a few milliseconds over a heap of a million's).
    static let shrinkWorthTrimming = 4096
    /// How long the model rests, with nothing to serve, before it trims.
    static let restSeconds = 1.0

    /// The most subdevices there were since the last trim, or the start.
    private(set) var highWater = 0
    /// When to trim, on the clock the caller passes: set once a shrink is
    /// worth it, and put back by every wake-up that served something.
    private(set) var due: Double?

    /// After a wake-up that served something, with `count` subdevices left.
    /// `now` is read only when a trim is pending.
    mutating func served(count: Int, now: () -> Double) {
        if count > highWater { highWater = count }
        if highWater - count >= Self.shrinkWorthTrimming { due = now() + Self.restSeconds }
    }

    /// Milliseconds the loop may sleep before a trim is due: -1 when none
    /// is pending, 0 when one is due.
    func timeout(now: Double) -> Int32 {
        guard let due else { return -1 }
        return Int32(min(max(0, (due - now) * 1000).rounded(.up), Double(Int32.max)))
    }

    /// Whether a wake-up that found nothing to serve should trim: a trim
    /// is pending and its rest is over. Taken, it counts from `count`.
    mutating func takeDue(count: Int, now: Double) -> Bool {
        guard let due, now >= due else { return false }
        self.due = nil
        highWater = count
        return true
    }
}
