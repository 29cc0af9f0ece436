/// Hands out the lowest number not in use, from 0, in O(log n): numbers
/// below `end` that were given back wait in a min-heap; past them, `end`
/// is next. The kernel's IDA does the same job for device minors.
struct LowestFree: Sendable {
    /// One past the highest number ever handed out and not since trimmed.
    private(set) var end: UInt32 = 0
    /// Numbers below `end` that are free, as a binary min-heap.
    private var returned: [UInt32] = []

    /// The lowest free number, which `take` gives next.
    var lowest: UInt32 { returned.first ?? end }

    /// Takes the lowest free number.
    mutating func take() -> UInt32 {
        guard let lowest = returned.first else {
            defer { end += 1 }
            return end
        }
        let last = returned.removeLast()
        if !returned.isEmpty {
            returned[0] = last
            siftDown(0)
        }
        return lowest
    }

    /// Gives every number back, as a new one has them, keeping the room
    /// when asked.
    mutating func reset(keepingCapacity: Bool) {
        end = 0
        returned.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Gives `number` back.
    mutating func give(_ number: UInt32) {
        returned.append(number)
        var child = returned.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard returned[child] < returned[parent] else { break }
            returned.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < returned.count, returned[left] < returned[smallest] { smallest = left }
            if right < returned.count, returned[right] < returned[smallest] { smallest = right }
            if smallest == parent { return }
            returned.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
