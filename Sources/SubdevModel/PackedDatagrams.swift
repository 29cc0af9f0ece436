import Netlink

/// Whole messages, appended one at a time to a datagram being packed.
///
/// A protocol rather than a closure: a closure keeps its state in boxes,
/// and every access to a boxed variable is checked for exclusivity at run
/// time, several times per message of a dump of a million.
protocol MessageSource {
    /// Appends the next whole message to `buffer`; `false` when none is left.
    mutating func append(to buffer: inout WireBuffer) -> Bool
}

/// A message source whose messages a closure appends: for callers that
/// send a handful, where boxes cost nothing worth counting.
struct MessageClosure: MessageSource {
    let body: (inout WireBuffer) -> Bool

    func append(to buffer: inout WireBuffer) -> Bool { body(&buffer) }
}

/// Encoded messages packed into datagrams of at most `budget` bytes each
/// (a message larger than that travels alone), produced one datagram at a
/// time, as the kernel fills one skb per `recvmsg` of a dump.
///
/// Messages are appended straight into the datagram, rather than made one
/// array each and copied in: a dump of a million runs this loop a million
/// times.
struct PackedDatagrams<Source: MessageSource>: Sequence, IteratorProtocol {
    private var source: Source
    private let budget: Int
    /// One buffer for the whole dump: each datagram is copied out of it,
    /// and a message that did not fit stays in it to open the next.
    private var buffer: WireBuffer
    private var finished = false

    init(budget: Int, source: Source) {
        self.source = source
        self.budget = budget
        // Room for the message that goes over the budget, mostly.
        buffer = WireBuffer(capacity: budget + budget / 4)
    }

    mutating func next() -> [UInt8]? {
        while !finished {
            let start = buffer.count
            guard source.append(to: &buffer) else {
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

extension PackedDatagrams where Source == MessageClosure {
    init(budget: Int, appendMessage: @escaping (inout WireBuffer) -> Bool) {
        self.init(budget: budget, source: MessageClosure(body: appendMessage))
    }
}
