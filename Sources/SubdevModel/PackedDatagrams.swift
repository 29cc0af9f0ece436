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
    private let appendMessage: (inout WireBuffer) -> Bool
    private let budget: Int
    /// One buffer for the whole dump: each datagram is copied out of it,
    /// and a message that did not fit stays in it to open the next.
    private var buffer: WireBuffer
    private var finished = false

    init(budget: Int, appendMessage: @escaping (inout WireBuffer) -> Bool) {
        self.appendMessage = appendMessage
        self.budget = budget
        // Room for the message that goes over the budget, mostly.
        buffer = WireBuffer(capacity: budget + budget / 4)
    }

    mutating func next() -> [UInt8]? {
        while !finished {
            let start = buffer.count
            guard appendMessage(&buffer) else {
                finished = true
                break
            }
            if buffer.count > budget, start > 0 {
                // Over the budget: this message opens the next datagram.
                return buffer.takePrefix(start)
            }
        }
        return buffer.count == 0 ? nil : buffer.takePrefix(buffer.count)
    }
}

/// A dump's reply objects, encoded one at a time as the dump is sent.
struct DumpStream {
    /// Encodes the next object's attributes into the encoder; `false`
    /// when there is none left.
    let next: (inout AttributeEncoder) -> Bool
}
