import Netlink

/// A dump's reply objects, encoded one at a time as the dump is sent.
protocol DumpSource {
    /// Encodes the next object's attributes into the encoder; `false`
    /// when there is none left.
    mutating func next(into out: inout AttributeEncoder) -> Bool
}

/// The messages of a dump's answer: the replies a handler made already,
/// then its stream's objects, then `NLMSG_DONE`.
struct DumpMessages: MessageSource {
    private var made: IndexingIterator<[[UInt8]]>
    private var stream: (any DumpSource)?
    private var done: [UInt8]?
    private let header: MessageHeader
    private let command: UInt8
    private let version: UInt8
    /// Whether `stream` may have more.
    private var streaming: Bool

    init(made: [[UInt8]], stream: (any DumpSource)?, done: [UInt8], header: MessageHeader, command: UInt8, version: UInt8) {
        self.made = made.makeIterator()
        self.stream = stream
        self.done = done
        self.header = header
        self.command = command
        self.version = version
        streaming = stream != nil
    }

    mutating func append(to buffer: inout WireBuffer) -> Bool {
        if let reply = made.next() {
            return GenericMessage.append(to: &buffer, header: header, command: command, version: version) {
                $0.append(encoded: reply)
                return true
            }
        }
        if streaming {
            // The stream is changed where it lies: testing or binding the
            // optional would copy the existential, and the dump within it.
            streaming = GenericMessage.append(to: &buffer, header: header, command: command, version: version) { out in
                stream?.next(into: &out) ?? false
            }
            if streaming { return true }
            stream = nil
        }
        guard let end = done else { return false }
        buffer.append(end)
        done = nil
        return true
    }
}
