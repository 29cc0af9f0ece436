import Netlink
import SubdevUAPI

/// Messages of one of the family's multicast groups, decoded as they are
/// read: `config` notifications or `events`.
///
/// Reading starts when iteration does; until then messages wait in the
/// socket. Decoding happens in `next()`, so the subscription's bounded
/// buffer is the only one. When messages were lost (the socket overran with
/// `ENOBUFS`, the buffer filled, or event sequence numbers skipped), the
/// next element is a resynchronisation: the client dumped parents and
/// subdevices again, and the subscription goes on. Iterate from one task.
/// The socket closes when `cancel()` is called or the sequence and its
/// iterators are gone.
public struct GroupMessages<Element: Sendable>: AsyncSequence, Sendable {
    /// Turns one message into an element; `nil` skips it.
    typealias Decode = @Sendable (SubdevCommand, AttributeDecoder) throws -> Element?
    /// Dumps the state again, for a subscriber that lost messages; given
    /// the sequence numbers known to be missed.
    typealias Resynchronise = @Sendable (ClosedRange<UInt64>?) async throws -> Element
    /// The sequence number of an element, for the groups that number them.
    typealias Sequence = @Sendable (Element) -> UInt64?

    let subscription: MulticastSubscription
    let familyID: UInt16
    let decode: Decode
    let resynchronise: Resynchronise
    let sequence: Sequence

    /// Port id of the subscriber socket.
    public var localPort: UInt32 { subscription.localPort }

    /// Stops the subscription; iteration ends.
    public func cancel() { subscription.cancel() }

    public func makeAsyncIterator() -> Iterator {
        subscription.start()
        return Iterator(base: subscription.events.makeAsyncIterator(), familyID: familyID, decode: decode,
                        resynchronise: resynchronise, sequence: sequence)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<MulticastEvent>.AsyncIterator
        let familyID: UInt16
        let decode: Decode
        let resynchronise: Resynchronise
        let sequence: Sequence
        /// The last sequence number seen; `nil` before the first, and after a loss.
        var last: UInt64?
        /// An element read while a gap was being reported.
        var held: Element?

        /// The next message; `nil` once the subscription ended.
        ///
        /// - Throws: `ProtocolError` for a message that does not decode, or
        ///   the error of the dump that resynchronises.
        public mutating func next() async throws -> Element? {
            if let element = held {
                held = nil
                return element
            }
            while let event = await base.next() {
                switch event {
                case .overrun:
                    last = nil
                    return try await resynchronise(nil)
                case .message(let message):
                    guard message.header.type == familyID,
                          let generic = try? GenericMessage(message),
                          let command = SubdevCommand(rawValue: generic.command),
                          let element = try decode(command, try generic.decoder()) else { continue }
                    if let number = sequence(element) {
                        defer { last = number }
                        // No `last + 1`: a peer may send UInt64.max.
                        if let last, number > last, number - last > 1 {
                            // Dump after the later event, so the state includes what it did.
                            held = element
                            return try await resynchronise((last + 1)...(number - 1))
                        }
                    }
                    return element
                }
            }
            return nil
        }
    }
}

/// The `config` group: created, changed and deleted subdevices.
public typealias ConfigNotifications = GroupMessages<ConfigNotification>

/// The `events` group: what holders must act on.
public typealias SubdevEvents = GroupMessages<SubdevEvent>

extension ConfigNotification {
    static func decode(_ command: SubdevCommand, _ attributes: AttributeDecoder) throws -> ConfigNotification? {
        switch command {
        case .devNewNtf: return .created(try ObjectDecoding.device(attributes))
        case .devChangeNtf: return .changed(try ObjectDecoding.device(attributes))
        case .devDelNtf: return .deleted(try ObjectDecoding.device(attributes))
        case .parentNewNtf: return .parentAdded(try ObjectDecoding.parent(attributes))
        case .parentDelNtf: return .parentRemoved(try ObjectDecoding.parent(attributes))
        default: return nil
        }
    }
}

extension SubdevEvent {
    static func decode(_ command: SubdevCommand, _ attributes: AttributeDecoder) throws -> SubdevEvent? {
        switch command {
        case .removeRequestNtf: return .removeRequest(try ObjectDecoding.event(attributes))
        case .revokeNtf: return .revoke(try ObjectDecoding.event(attributes))
        case .aerNtf: return .aer(try ObjectDecoding.aer(attributes))
        case .hotplugNtf: return .hotplug(try ObjectDecoding.hotplug(attributes))
        default: return nil
        }
    }

    /// Decodes one message of the family `familyID`, as the events group
    /// and a holder's device connection carry them; `nil` for a message
    /// that is not an event (an ack, another family).
    ///
    /// - Throws: `ProtocolError` for an event that lacks an attribute.
    public init?(_ message: NetlinkMessage, familyID: UInt16) throws {
        guard message.header.type == familyID, let generic = try? GenericMessage(message),
              let command = SubdevCommand(rawValue: generic.command),
              let event = try Self.decode(command, try generic.decoder()) else { return nil }
        self = event
    }
}
