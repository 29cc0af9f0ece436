import Netlink

/// A dump's reply objects, encoded one at a time as the dump is sent.
protocol DumpSource {
    /// Encodes the next object's attributes into the encoder; `false`
    /// when there is none left.
    mutating func next(into out: inout AttributeEncoder) -> Bool
}

/// A dump's source as a handler hands it over, boxed: a handler's output
/// carries one reference, let go with a plain release. As an optional
/// existential, the output of every request, dump or not, was destroyed
/// through the type's run-time witness, about 120 instructions.
final class DumpStream {
    let source: any DumpSource

    init(_ source: some DumpSource) {
        self.source = source
    }
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
