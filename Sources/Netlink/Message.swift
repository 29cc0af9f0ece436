/// Flags of `nlmsghdr.nlmsg_flags` (`NLM_F_*`).
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `NLM_F_REQUEST`: a request to the receiver.
    public static let request = MessageFlags(rawValue: 0x01)
    /// `NLM_F_MULTI`: part of a multi-part reply ending in `NLMSG_DONE`.
    public static let multi = MessageFlags(rawValue: 0x02)
    /// `NLM_F_ACK`: reply with an `NLMSG_ERROR` of 0 on success.
    public static let ack = MessageFlags(rawValue: 0x04)
    /// `NLM_F_ECHO`: echo the request back.
    public static let echo = MessageFlags(rawValue: 0x08)
    /// `NLM_F_DUMP_INTR`: the dump was inconsistent because the set changed.
    public static let dumpInterrupted = MessageFlags(rawValue: 0x10)
    /// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`): dump every object.
    public static let dump = MessageFlags(rawValue: 0x300)
    /// `NLM_F_CAPPED` on an `NLMSG_ERROR`: the echoed request carries its header only.
    public static let capped = MessageFlags(rawValue: 0x100)
    /// `NLM_F_ACK_TLVS` on an `NLMSG_ERROR`: extended ACK attributes follow.
    public static let ackTLVs = MessageFlags(rawValue: 0x200)
}

/// Well-known message types (`NLMSG_*`).
public enum MessageType {
    /// `NLMSG_NOOP`.
    public static let noop: UInt16 = 1
    /// `NLMSG_ERROR`: an error, or an ACK when the error is 0.
    public static let error: UInt16 = 2
    /// `NLMSG_DONE`: the end of a multi-part message.
    public static let done: UInt16 = 3
    /// `NLMSG_OVERRUN`.
    public static let overrun: UInt16 = 4
    /// `NLMSG_MIN_TYPE`: the first type a protocol may use.
    public static let minType: UInt16 = 0x10
}

/// The 16-byte `nlmsghdr`.
public struct MessageHeader: Sendable, Hashable {
    /// `nlmsg_len`: header plus payload, before padding.
    public var length: UInt32
    /// `nlmsg_type`: a `MessageType` or, in generic netlink, the family id.
    public var type: UInt16
    /// `nlmsg_flags`.
    public var flags: MessageFlags
    /// `nlmsg_seq`: matches a reply to its request.
    public var sequence: UInt32
    /// `nlmsg_pid`: the port id of the sender of a request.
    public var port: UInt32

    /// Size of the header on the wire.
    public static let size = 16

    public init(length: UInt32 = 0, type: UInt16, flags: MessageFlags, sequence: UInt32 = 0, port: UInt32 = 0) {
        self.length = length
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.port = port
    }
}

extension MessageHeader {
    /// Writes the header as the wire carries it, `length` as it stands.
    @inlinable
    public func write(to buffer: inout WireBuffer) {
        buffer.write(MessageHeader.size) { bytes, start in
            bytes.storeBytes(of: length.littleEndian, toByteOffset: start, as: UInt32.self)
            bytes.storeBytes(of: type.littleEndian, toByteOffset: start + 4, as: UInt16.self)
            bytes.storeBytes(of: flags.rawValue.littleEndian, toByteOffset: start + 6, as: UInt16.self)
            bytes.storeBytes(of: sequence.littleEndian, toByteOffset: start + 8, as: UInt32.self)
            bytes.storeBytes(of: port.littleEndian, toByteOffset: start + 12, as: UInt32.self)
        }
    }
}

/// One netlink message: a header and its payload (everything after the header).
public struct NetlinkMessage: Sendable, Hashable {
    /// The header; `length` is recomputed when the message is encoded.
    public var header: MessageHeader
    /// The bytes after the header, without trailing padding, where they
    /// lie: a received message shares its datagram's bytes rather than
    /// copying them out, so a dump's messages cost no allocation each.
    /// Indices are the datagram's, so count from `startIndex`.
    public var payloadSlice: ArraySlice<UInt8>

    /// The bytes after the header, without trailing padding, as an array
    /// of their own (a copy, for a received message).
    public var payload: [UInt8] {
        get { Array(payloadSlice) }
        set { payloadSlice = newValue[...] }
    }

    public init(header: MessageHeader, payload: [UInt8]) {
        self.header = header
        self.payloadSlice = payload[...]
    }

    public init(header: MessageHeader, payload: ArraySlice<UInt8>) {
        self.header = header
        self.payloadSlice = payload
    }

    /// The wire form: header with the right `nlmsg_len`, payload, padding to 4 bytes.
    public func encoded() -> [UInt8] {
        var out = WireBuffer(capacity: alignTo4(MessageHeader.size + payloadSlice.count))
        write(to: &out)
        return out.bytes
    }

    /// Writes the wire form at the end of `buffer`, so several messages
    /// share one datagram.
    public func write(to buffer: inout WireBuffer) {
        var header = header
        header.length = UInt32(MessageHeader.size + payloadSlice.count)
        header.write(to: &buffer)
        buffer.append(payloadSlice)
        buffer.padToAlignment()
    }

    /// Splits a datagram into its messages.
    ///
    /// - Throws: `ProtocolError` when a length field runs past the datagram
    ///   or is shorter than a header.
    public static func parse(_ datagram: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        try forEach(in: datagram) { messages.append($0) }
        return messages
    }

    /// Hands each message of `datagram` to `body` in turn, without making
    /// an array of them: how a client reads its answers.
    ///
    /// - Throws: what `body` throws; `ProtocolError` at a length field that
    ///   runs past the datagram or is shorter than a header, after the
    ///   messages before it were handed over.
    public static func forEach(in datagram: [UInt8], _ body: (NetlinkMessage) throws -> Void) throws {
        if let bad = try frame(datagram, body) {
            throw ProtocolError("message at offset \(bad.offset) has length \(bad.length), datagram has \(datagram.count - bad.offset) bytes left")
        }
    }

    /// The messages of `datagram` up to the first whose length field is
    /// shorter than a header or runs past the datagram, as the kernel's
    /// `netlink_rcv_skb` reads a datagram: it answers the messages before
    /// a bad one and drops the rest without a word, since a message it
    /// cannot frame has no header it could trust to answer.
    public static func leadingMessages(of datagram: [UInt8]) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        frame(datagram) { messages.append($0) }
        return messages
    }

    /// The header of the message a cut datagram ends in (see
    /// `Datagram.isCut`): the first that is not whole, when its header
    /// arrived and its length says it ran past the end. `nil` for a
    /// datagram whose messages are whole or malformed.
    public static func headerOfCutMessage(in datagram: [UInt8]) -> MessageHeader? {
        guard let (offset, length) = frame(datagram, { _ in }),
              length >= MessageHeader.size, datagram.count - offset >= MessageHeader.size,
              length > datagram.count - offset else { return nil }
        return header(in: datagram, at: offset, length: length)
    }

    /// The header at `offset` of `datagram`, with `length` as read there.
    private static func header(in datagram: [UInt8], at offset: Int, length: Int) -> MessageHeader {
        MessageHeader(
            length: UInt32(length),
            type: datagram.loadLE(UInt16.self, at: offset + 4),
            flags: MessageFlags(rawValue: datagram.loadLE(UInt16.self, at: offset + 6)),
            sequence: datagram.loadLE(UInt32.self, at: offset + 8),
            port: datagram.loadLE(UInt32.self, at: offset + 12))
    }

    /// Splits a datagram at its length fields, handing each message to
    /// `body`, and stops at the first bad one: its offset and length, or
    /// nil when there was none.
    @discardableResult
    private static func frame(_ datagram: [UInt8], _ body: (NetlinkMessage) throws -> Void) rethrows -> (offset: Int, length: Int)? {
        var offset = 0
        while datagram.count - offset >= MessageHeader.size {
            let length = Int(datagram.loadLE(UInt32.self, at: offset))
            guard length >= MessageHeader.size, length <= datagram.count - offset else {
                return (offset, length)
            }
            try body(NetlinkMessage(header: header(in: datagram, at: offset, length: length),
                                    payload: datagram[(offset + MessageHeader.size)..<(offset + length)]))
            offset += alignTo4(length)
        }
        return nil
    }
}

/// Rounds `n` up to the netlink alignment, 4 bytes (`NLMSG_ALIGN`, `NLA_ALIGN`).
@inlinable
public func alignTo4(_ n: Int) -> Int { (n + 3) & ~3 }

extension Array where Element == UInt8 {
    /// Reads an integer at `offset`; the caller has checked the bounds.
    @inlinable
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// Reads an integer at `offset` from the slice's start; the caller has checked the bounds.
    @inlinable
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
