/// Encoded messages packed into datagrams of at most `budget` bytes each
/// (a message larger than that travels alone), produced one datagram at a
/// time, as the kernel fills one skb per `recvmsg` of a dump.
///
/// Messages come from a closure rather than a generic sequence: a dump of
/// a million runs this loop a million times, and a closure call costs no
/// generic metadata lookups.
struct PackedDatagrams: Sequence, IteratorProtocol {
    private let nextMessage: () -> [UInt8]?
    private let budget: Int
    /// A message read that did not fit in the last datagram.
    private var carried: [UInt8]?

    init(budget: Int, next: @escaping () -> [UInt8]?) {
        nextMessage = next
        self.budget = budget
    }

    mutating func next() -> [UInt8]? {
        guard var datagram = carried ?? nextMessage() else { return nil }
        carried = nil
        datagram.reserveCapacity(budget)
        while let message = nextMessage() {
            if datagram.count + message.count > budget {
                carried = message
                break
            }
            datagram.append(contentsOf: message)
        }
        return datagram
    }
}

/// A dump's reply attribute areas, made one at a time as the dump is sent.
struct DumpStream {
    let next: () -> [UInt8]?
}
