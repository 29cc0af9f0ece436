/// The amounts a plan takes from a parent's counters, by counter name:
/// `["wqs": 1, "wq-entries": 32]`.
///
/// Written and read like a `[String: UInt64]` (a literal, `amounts[name]`,
/// `for (name, amount) in amounts`) and coded as the same JSON object, but
/// kept as a short list sorted by name. A plan names one to three
/// counters, and the host handles one on every create and delete: a
/// dictionary hashed each name with SipHash for every lookup, and building
/// and comparing one was a tenth of a create's instructions.
public struct CounterAmounts: Sendable, Hashable, ExpressibleByDictionaryLiteral, RandomAccessCollection {
    /// One counter's amount.
    private struct Entry: Sendable, Hashable {
        var name: String
        var amount: UInt64
    }

    /// Sorted by name, each name once: equal amounts are equal lists, so
    /// `==` and hashing need no order of their own.
    private var entries: [Entry] = []

    public typealias Element = (key: String, value: UInt64)

    public init() {}

    /// A repeated name keeps its last amount.
    public init(dictionaryLiteral elements: (String, UInt64)...) {
        entries.reserveCapacity(elements.count)
        for (name, amount) in elements { entries.append(Entry(name: name, amount: amount)) }
        if entries.count > 1 { putInOrder() }
    }

    /// One counter's amount. What a literal of one pair makes, without
    /// the array of pairs a literal is first given: a plugin that plans
    /// one counter per create (mtty's ports) spares an allocation each.
    public init(_ name: String, _ amount: UInt64) {
        entries = [Entry(name: name, amount: amount)]
    }

    public init(_ amounts: [String: UInt64]) {
        entries = amounts.map { Entry(name: $0.key, amount: $0.value) }
        if entries.count > 1 { putInOrder() }
    }

    /// Sorts the entries by name, keeping the last of each name: an
    /// insertion sort, for lists of a few, that moves an entry past only
    /// greater names, so equal names stay in the order given.
    private mutating func putInOrder() {
        for next in entries.indices.dropFirst() {
            var slot = next
            while slot > 0, entries[slot - 1].name > entries[slot].name {
                entries.swapAt(slot - 1, slot)
                slot -= 1
            }
        }
        var kept: [Entry] = []
        kept.reserveCapacity(entries.count)
        for entry in entries {
            if let last = kept.last, last.name == entry.name { kept[kept.count - 1] = entry } else { kept.append(entry) }
        }
        entries = kept
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }

    public subscript(position: Int) -> Element {
        (entries[position].name, entries[position].amount)
    }

    /// The amount of counter `name`; `nil` when the plan names none.
    /// Setting `nil` removes the name.
    public subscript(name: String) -> UInt64? {
        get {
            for entry in entries where entry.name == name { return entry.amount }
            return nil
        }
        set {
            let slot = entries.firstIndex { $0.name >= name } ?? entries.endIndex
            let present = slot < entries.endIndex && entries[slot].name == name
            switch (newValue, present) {
            case (let amount?, true): entries[slot].amount = amount
            case (let amount?, false): entries.insert(Entry(name: name, amount: amount), at: slot)
            case (nil, true): entries.remove(at: slot)
            case (nil, false): break
            }
        }
    }

    /// The amount of counter `name`, `defaultValue` when the plan names none.
    public subscript(name: String, default defaultValue: UInt64) -> UInt64 {
        get { self[name] ?? defaultValue }
        set { self[name] = newValue }
    }

    /// The same amounts as a dictionary.
    public var dictionary: [String: UInt64] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.amount) })
    }
}

extension CounterAmounts: Codable {
    /// A JSON object of names and amounts, as the plugin ABI has always
    /// carried a plan's counters.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String: UInt64].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dictionary)
    }
}

extension CounterAmounts: CustomStringConvertible {
    public var description: String {
        entries.isEmpty ? "[:]" : "[" + entries.map { "\"\($0.name)\": \($0.amount)" }.joined(separator: ", ") + "]"
    }
}
