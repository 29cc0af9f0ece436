import Netlink

/// Encoded messages packed into datagrams of at most `budget` bytes each
/// (a message larger than that travels alone), produced one datagram at a
/// time, as the kernel fills one skb per `recvmsg` of a dump.
///
/// Messages are appended by a closure straight into the datagram, rather
/// than made one array each and copied in: a dump of a million runs this
/// loop a million times.
struct PackedDatagrams: Sequence, IteratorProtocol {
    /// Appends the next whole message to the buffer; `false` when none is left.
    private let appendMessage: (inout [UInt8]) -> Bool
    private let budget: Int
    /// A message that did not fit in the last datagram.
    private var carried: [UInt8] = []
    private var finished = false

    init(budget: Int, appendMessage: @escaping (inout [UInt8]) -> Bool) {
        self.appendMessage = appendMessage
        self.budget = budget
    }

    mutating func next() -> [UInt8]? {
        var datagram = carried
        carried = []
        datagram.reserveCapacity(budget)
        while !finished {
            let start = datagram.count
            guard appendMessage(&datagram) else {
                finished = true
                break
            }
            if datagram.count > budget, start > 0 {
                // Over the budget: this message opens the next datagram.
                carried = Array(datagram[start...])
                datagram.removeSubrange(start...)
                break
            }
        }
        return datagram.isEmpty ? nil : datagram
    }
}

/// A dump's reply objects, encoded one at a time as the dump is sent.
struct DumpStream {
    /// Encodes the next object's attributes into the encoder; `false`
    /// when there is none left.
    let next: (inout AttributeEncoder) -> Bool
}
