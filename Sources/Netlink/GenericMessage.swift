/// A generic netlink message: `nlmsghdr`, `genlmsghdr` (command, version),
/// then attributes.
public struct GenericMessage: Sendable {
    /// Size of `struct genlmsghdr`.
    public static let headerSize = 4
    /// Offset of the first attribute from the start of the message, for extack offsets.
    public static let attributesOffset = MessageHeader.size + headerSize

    /// The netlink header; `type` is the family id.
    public var header: MessageHeader
    /// `genlmsghdr.cmd`.
    public var command: UInt8
    /// `genlmsghdr.version`.
    public var version: UInt8
    /// The attribute area where it lies: a received message's is a slice
    /// of its datagram, not a copy.
    public var attributeArea: ArraySlice<UInt8>

    /// The attribute area, as an array of its own.
    public var attributes: [UInt8] {
        get { Array(attributeArea) }
        set { attributeArea = newValue[...] }
    }

    public init(family: UInt16, command: UInt8, version: UInt8, flags: MessageFlags = [],
                sequence: UInt32 = 0, port: UInt32 = 0, attributes: [UInt8] = []) {
        self.header = MessageHeader(type: family, flags: flags, sequence: sequence, port: port)
        self.command = command
        self.version = version
        attributeArea = attributes[...]
    }

    /// Reads the generic header of `message`.
    ///
    /// - Throws: `ProtocolError` when the payload is shorter than a `genlmsghdr`.
    public init(_ message: NetlinkMessage) throws {
        let payload = message.payloadSlice
        guard payload.count >= GenericMessage.headerSize else {
            throw ProtocolError("generic netlink message of \(payload.count) bytes has no genlmsghdr")
        }
        header = message.header
        command = payload[payload.startIndex]
        version = payload[payload.startIndex + 1]
        attributeArea = payload.dropFirst(GenericMessage.headerSize)
    }

    /// The message as netlink carries it.
    public var netlinkMessage: NetlinkMessage {
        // In one array of the exact size, as `encoded()` does: every
        // request a client sends is made here. An array literal grown by
        // the attributes took two allocations and a copy more.
        var payload = WireBuffer(capacity: Self.headerSize + attributeArea.count)
        Self.writeGenericHeader(command: command, version: version, to: &payload)
        payload.append(attributeArea)
        return NetlinkMessage(header: header, payload: payload.bytes)
    }

    /// A request of `command` to `family`, made in one buffer: the generic
    /// header, then the attributes `encode` puts. How a client makes a
    /// single request: encoding the attributes apart, copying them out
    /// (`AttributeEncoder.bytes`) and then into the message
    /// (`netlinkMessage`) took three allocations; this takes one. The
    /// message's payload is a slice of that buffer, room included: 64
    /// bytes hold a create or delete without parameters. A pipeline's
    /// requests have no buffer of their own (`writeRequest`).
    public static func request(family: UInt16, command: UInt8, version: UInt8, capacity: Int = 64,
                               _ encode: (inout AttributeEncoder) throws -> Void) rethrows -> NetlinkMessage {
        var payload = WireBuffer(capacity: capacity)
        try writePayload(command: command, version: version, to: &payload, encode)
        return NetlinkMessage(header: MessageHeader(type: family, flags: []), payload: payload.written)
    }

    /// Writes a request of `command` to `family` whole at the end of
    /// `buffer`: its `nlmsghdr` (length filled in; flags, sequence and
    /// port left 0 for the sender to set), `genlmsghdr`, then the
    /// attributes `encode` puts. How a pipeline writes its requests into
    /// the datagram they go out in, with no buffer of their own.
    public static func writeRequest(family: UInt16, command: UInt8, version: UInt8, to buffer: inout WireBuffer,
                                    _ encode: (inout AttributeEncoder) throws -> Void) rethrows {
        let start = buffer.count
        MessageHeader(type: family, flags: []).write(to: &buffer)
        try writePayload(command: command, version: version, to: &buffer, encode)
        buffer.store(UInt32(truncatingIfNeeded: buffer.count - start), at: start)
    }

    /// Writes `genlmsghdr`, then the attributes `encode` puts, at the end
    /// of `buffer`. The encoder owns the buffer while it writes, so its
    /// stores stay in place rather than copying it.
    private static func writePayload(command: UInt8, version: UInt8, to buffer: inout WireBuffer,
                                     _ encode: (inout AttributeEncoder) throws -> Void) rethrows {
        writeGenericHeader(command: command, version: version, to: &buffer)
        var encoder = AttributeEncoder()
        swap(&encoder.buffer, &buffer)
        defer { swap(&encoder.buffer, &buffer) }
        try encode(&encoder)
    }

    /// The wire form, written in one buffer: what a sender puts in a datagram.
    public func encoded() -> [UInt8] {
        // In one buffer of the exact size: every request goes through here.
        var out = WireBuffer(capacity: GenericMessage.attributesOffset + attributeArea.count)
        Self.write(header, command: command, version: version, attributes: attributeArea, to: &out)
        return out.bytes
    }

    /// Writes a message of `attributes` at the end of `buffer`, its length
    /// in `header` filled in: how the model writes replies and
    /// notifications into the datagrams they leave in (`OutgoingBatch`).
    public static func write(_ header: MessageHeader, command: UInt8, version: UInt8,
                             attributes: ArraySlice<UInt8>, to buffer: inout WireBuffer) {
        var header = header
        header.length = UInt32(truncatingIfNeeded: attributesOffset + attributes.count)
        writeHeaders(header, command: command, version: version, to: &buffer)
        buffer.append(attributes)
    }

    /// Writes `nlmsghdr` and `genlmsghdr`.
    @inlinable
    static func writeHeaders(_ header: MessageHeader, command: UInt8, version: UInt8, to buffer: inout WireBuffer) {
        header.write(to: &buffer)
        writeGenericHeader(command: command, version: version, to: &buffer)
    }

    /// Writes `genlmsghdr`.
    @inlinable
    static func writeGenericHeader(command: UInt8, version: UInt8, to buffer: inout WireBuffer) {
        buffer.write(headerSize) { bytes, offset in
            bytes[offset] = command
            bytes[offset + 1] = version
            bytes[offset + 2] = 0
            bytes[offset + 3] = 0
        }
    }

    /// Appends a message to `buffer` whose attributes `body` encodes
    /// straight into it, with no array of their own: how a dump fills a
    /// datagram with a million messages. `header.length` is worked out.
    ///
    /// - Returns: what `body` returns; when it is `false` (nothing left to
    ///   encode) the buffer is left as it was.
    @inlinable
    public static func append(to buffer: inout WireBuffer, header: MessageHeader, command: UInt8, version: UInt8,
                              attributes body: (inout AttributeEncoder) -> Bool) -> Bool {
        let start = buffer.count
        writeHeaders(header, command: command, version: version, to: &buffer)  // the length is filled in below
        // The encoder owns the buffer while it writes, so its stores stay
        // in place rather than copying it.
        var encoder = AttributeEncoder()
        swap(&encoder.buffer, &buffer)
        let more = body(&encoder)
        swap(&encoder.buffer, &buffer)
        if more {
            buffer.store(UInt32(truncatingIfNeeded: buffer.count - start), at: start)
        } else {
            buffer.truncate(to: start)
        }
        return more
    }

    /// A decoder over the attributes, with offsets counted from the message start.
    public func decoder() throws -> AttributeDecoder {
        try AttributeDecoder(attributeArea, baseOffset: GenericMessage.attributesOffset)
    }

    /// A decoder over the attributes of `message` where they lie, without
    /// copying them out as `GenericMessage(message).decoder()` does: for
    /// dumps, whose messages are decoded once and dropped.
    ///
    /// - Throws: `ProtocolError` when the payload is shorter than a
    ///   `genlmsghdr`; `NetlinkError` for attributes that overrun.
    public static func attributes(of message: NetlinkMessage) throws -> AttributeDecoder {
        let payload = message.payloadSlice
        guard payload.count >= headerSize else {
            throw ProtocolError("generic netlink message of \(payload.count) bytes has no genlmsghdr")
        }
        return try AttributeDecoder(payload.dropFirst(headerSize), baseOffset: attributesOffset)
    }
}
