#if canImport(Glibc)
import Glibc
#endif

/// Datagrams written end to end into one buffer, each with its own
/// destination: what one `sendmmsg` sends (`NetlinkSocket.send(_:from:)`).
///
/// Messages are written into the buffer where they go out from, so a
/// reply, a notification or an ack costs no array of its own; a server
/// answering a datagram of pipelined requests writes all their answers
/// here. Before, each was an array, then copied into one for the system
/// call (callgrind: about 1 k instructions per answered request).
///
/// A value type; not for sharing across threads while one writes.
public struct OutgoingBatch: Sendable {
    /// The datagrams, end to end.
    public private(set) var buffer: WireBuffer
    /// Each datagram's length, in order.
    public private(set) var lengths: [Int] = []
    /// Each datagram's `nl_pid`: a socket's port, 0 for the kernel or a group.
    public private(set) var ports: [UInt32] = []
    /// Each datagram's `nl_groups`: the bit of one multicast group, 0 for
    /// unicast.
    public private(set) var groups: [UInt32] = []

    /// An empty batch.
    public init() {
        buffer = WireBuffer()
    }

    /// The datagrams of `datagrams`, copied end to end.
    public init(_ datagrams: some Sequence<OutgoingDatagram>) {
        self.init()
        for datagram in datagrams { append(datagram) }
    }

    /// How many datagrams there are.
    public var count: Int { lengths.count }
    public var isEmpty: Bool { lengths.isEmpty }

    /// Appends one datagram, which `write` writes at the end of `buffer`,
    /// to the socket bound to `port` (0: the kernel).
    public mutating func append(toPort port: UInt32, _ write: (inout WireBuffer) -> Void) {
        append(port: port, groups: 0, write)
    }

    /// Appends one datagram, which `write` writes at the end of `buffer`,
    /// to multicast group `group` (1...32).
    ///
    /// - Throws: `NetlinkError` `EINVAL` for a group outside 1...32, and
    ///   nothing is written.
    public mutating func append(toGroup group: UInt32, _ write: (inout WireBuffer) -> Void) throws {
        guard (1...32).contains(group) else {
            throw NetlinkError(errno: EINVAL, message: "multicast group \(group) is outside 1...32")
        }
        append(port: 0, groups: 1 << (group - 1), write)
    }

    /// Appends a copy of `datagram`.
    public mutating func append(_ datagram: OutgoingDatagram) {
        append(port: datagram.port, groups: datagram.groups) { $0.append(datagram.bytes) }
    }

    private mutating func append(port: UInt32, groups bits: UInt32, _ write: (inout WireBuffer) -> Void) {
        let start = buffer.count
        write(&buffer)
        lengths.append(buffer.count - start)
        ports.append(port)
        groups.append(bits)
    }

    /// Each datagram, as an array of its own, in order.
    public var datagrams: [OutgoingDatagram] {
        var start = 0
        return lengths.indices.map { index in
            let end = start + lengths[index]
            defer { start = end }
            var datagram = OutgoingDatagram(buffer.bytes(in: start..<end), toPort: ports[index])
            datagram.groups = groups[index]
            return datagram
        }
    }

    /// Where the datagram at `index` starts in `buffer`.
    func offset(of index: Int) -> Int {
        lengths[..<index].reduce(0, +)
    }

    /// The datagrams from `index` on that `keep` keeps, in a batch of
    /// their own: what is left to send after one failed.
    public func remaining(from index: Int, where keep: (_ port: UInt32, _ groups: UInt32) -> Bool) -> OutgoingBatch {
        var rest = OutgoingBatch()
        var start = offset(of: index)
        for position in index..<count {
            let end = start + lengths[position]
            if keep(ports[position], groups[position]) {
                rest.append(port: ports[position], groups: groups[position]) { buffer in
                    self.buffer.withWrittenBytes { buffer.append(raw: UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                }
            }
            start = end
        }
        return rest
    }

    /// Forgets every datagram and keeps the room, for the next batch.
    public mutating func removeAll() {
        buffer.truncate(to: 0)
        lengths.removeAll(keepingCapacity: true)
        ports.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
    }
}
