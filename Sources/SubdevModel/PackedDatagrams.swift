/// Encoded messages packed into datagrams of at most `budget` bytes each
/// (a message larger than that travels alone), produced one datagram at a
/// time, as the kernel fills one skb per `recvmsg` of a dump.
struct PackedDatagrams<Messages: Sequence<[UInt8]>>: Sequence {
    let messages: Messages
    let budget: Int

    init(_ messages: Messages, budget: Int) {
        self.messages = messages
        self.budget = budget
    }

    struct Iterator: IteratorProtocol {
        var messages: Messages.Iterator
        let budget: Int
        /// A message read that did not fit in the last datagram.
        var carried: [UInt8]?

        mutating func next() -> [UInt8]? {
            guard var datagram = carried ?? messages.next() else { return nil }
            carried = nil
            datagram.reserveCapacity(budget)
            while let message = messages.next() {
                if datagram.count + message.count > budget {
                    carried = message
                    break
                }
                datagram.append(contentsOf: message)
            }
            return datagram
        }
    }

    func makeIterator() -> Iterator {
        Iterator(messages: messages.makeIterator(), budget: budget)
    }
}

/// One sequence after another, without building either.
struct Chained<First: Sequence, Second: Sequence>: Sequence where First.Element == Second.Element {
    let first: First
    let second: Second

    struct Iterator: IteratorProtocol {
        var first: First.Iterator
        var second: Second.Iterator
        var firstDone = false

        mutating func next() -> First.Element? {
            if !firstDone {
                if let element = first.next() { return element }
                firstDone = true
            }
            return second.next()
        }
    }

    func makeIterator() -> Iterator {
        Iterator(first: first.makeIterator(), second: second.makeIterator())
    }
}

extension Sequence {
    /// This sequence, then `other`.
    func chained<Other: Sequence>(with other: Other) -> Chained<Self, Other> where Other.Element == Element {
        Chained(first: self, second: other)
    }
}
