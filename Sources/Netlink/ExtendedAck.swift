/// The `NLMSG_ERROR` message, both ways: decoding the kernel's (or the
/// model's) answer into a `NetlinkError`, and encoding one, as the model does.
public enum ExtendedAck {
    /// `NLMSGERR_ATTR_MSG`.
    public static let attributeMessage: UInt16 = 1
    /// `NLMSGERR_ATTR_OFFS`.
    public static let attributeOffset: UInt16 = 2
    /// `NLMSGERR_ATTR_COOKIE`.
    public static let attributeCookie: UInt16 = 3
    /// `NLMSGERR_ATTR_POLICY`.
    public static let attributePolicy: UInt16 = 4
    /// `NLMSGERR_ATTR_MISS_TYPE`.
    public static let attributeMissingType: UInt16 = 5
    /// `NLMSGERR_ATTR_MISS_NEST`.
    public static let attributeMissingNest: UInt16 = 6

    /// Decodes an `NLMSG_ERROR` (or the payload of an `NLMSG_DONE` that ends a
    /// failed dump).
    ///
    /// - Returns: `nil` for an ACK (error 0), else the error with any
    ///   extended ACK attributes.
    public static func decode(_ message: NetlinkMessage) throws -> NetlinkError? {
        // In place: loadLE counts from the slice's start.
        let payload = message.payloadSlice
        guard payload.count >= 4 else { throw ProtocolError("NLMSG_ERROR of \(payload.count) bytes") }
        let code = payload.loadLE(Int32.self, at: 0)
        if code == 0 { return nil }
        // Negative by convention; the magnitude, clamped, since -Int32.min
        // does not fit (found by fuzzing the client).
        var error = NetlinkError(errno: Int32(clamping: code.magnitude))
        guard message.header.flags.contains(.ackTLVs) else { return error }
        // The TLVs follow the echoed request: its header alone when capped,
        // or header plus payload otherwise.
        var tlvStart = 4 + MessageHeader.size
        if !message.header.flags.contains(.capped), message.header.type == MessageType.error, payload.count >= tlvStart {
            tlvStart = 4 + alignTo4(Int(payload.loadLE(UInt32.self, at: 4)))
        }
        if message.header.type == MessageType.done { tlvStart = 4 }
        guard tlvStart <= payload.count else { return error }
        let decoder = try AttributeDecoder(payload.dropFirst(tlvStart))
        error.message = try decoder.string(attributeMessage)
        error.offset = try decoder.integer(attributeOffset, as: UInt32.self)
        error.missingType = try decoder.integer(attributeMissingType, as: UInt32.self)
        error.missingNest = try decoder.integer(attributeMissingNest, as: UInt32.self)
        return error
    }

    /// Encodes the answer to `request`: an ACK when `error` is `nil`, else the
    /// error with its extended ACK attributes. The request is echoed capped
    /// (header only), as the kernel does with `NETLINK_CAP_ACK`.
    public static func encode(error: NetlinkError?, for request: MessageHeader) -> NetlinkMessage {
        var echoed = request
        echoed.length = UInt32(MessageHeader.size)
        return status(MessageType.error, flags: [.capped], error: error, for: request,
                      echo: NetlinkMessage(header: echoed, payload: []).encoded())
    }

    /// The wire form of `encode(error:for:)`, written straight into one
    /// buffer of its size: the model sends one for nearly every request.
    public static func encoded(error: NetlinkError?, for request: MessageHeader) -> [UInt8] {
        var out = WireBuffer(capacity: MessageHeader.size + 4 + MessageHeader.size)
        write(error: error, for: request, to: &out)
        return out.bytes
    }

    /// Writes `encoded(error:for:)` at the end of `buffer`.
    public static func write(error: NetlinkError?, for request: MessageHeader, to buffer: inout WireBuffer) {
        let tlvs = error.map(attributes(of:)) ?? []
        var flags: MessageFlags = [.capped]
        if !tlvs.isEmpty { flags.insert(.ackTLVs) }
        let length = MessageHeader.size + 4 + MessageHeader.size + tlvs.count
        MessageHeader(length: UInt32(length), type: MessageType.error, flags: flags,
                      sequence: request.sequence, port: request.port).write(to: &buffer)
        buffer.append(-(error?.errno ?? 0))
        var echoed = request
        echoed.length = UInt32(MessageHeader.size)
        echoed.write(to: &buffer)
        buffer.append(tlvs)
    }

    /// Encodes the `NLMSG_DONE` that ends a dump: an int of 0, or of the
    /// negative errno that stopped the dump, followed by extended ACK
    /// attributes, as the kernel's `netlink_dump_done` sends it.
    public static func done(for request: MessageHeader, error: NetlinkError? = nil) -> NetlinkMessage {
        status(MessageType.done, flags: [.multi], error: error, for: request, echo: [])
    }

    /// An `NLMSG_ERROR` or `NLMSG_DONE`: the negative errno (0 for success),
    /// `echo`, then the extended ACK attributes of `error`, if any.
    static func status(_ type: UInt16, flags: MessageFlags, error: NetlinkError?, for request: MessageHeader,
                       echo: [UInt8]) -> NetlinkMessage {
        var payload = WireBuffer()
        payload.append(-(error?.errno ?? 0))
        payload.append(echo)
        var flags = flags
        if let error {
            let tlvs = attributes(of: error)
            if !tlvs.isEmpty {
                flags.insert(.ackTLVs)
                payload.append(tlvs)
            }
        }
        return NetlinkMessage(header: MessageHeader(type: type, flags: flags, sequence: request.sequence, port: request.port),
                              payload: payload.bytes)
    }

    /// The `NLMSGERR_ATTR_*` attributes of `error`.
    static func attributes(of error: NetlinkError) -> [UInt8] {
        var tlvs = AttributeEncoder()
        if let message = error.message { tlvs.put(attributeMessage, message) }
        if let offset = error.offset { tlvs.put(attributeOffset, offset) }
        if let missing = error.missingType { tlvs.put(attributeMissingType, missing) }
        if let nest = error.missingNest { tlvs.put(attributeMissingNest, nest) }
        return tlvs.bytes
    }
}
