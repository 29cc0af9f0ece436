import Netlink
import SubdevUAPI

/// Messages of one of the family's multicast groups, decoded as they are
/// read: `config` notifications or `events`.
///
/// Decoding happens in `next()`, so the subscription's bounded buffer is
/// the only one: a consumer that falls behind gets the overrun element
/// rather than an ever-growing queue. Iterate from one task. The socket
/// closes when `cancel()` is called or the sequence and its iterators are gone.
public struct GroupMessages<Element: Sendable>: AsyncSequence, Sendable {
    /// Turns one message into an element; `nil` skips it.
    typealias Decode = @Sendable (SubdevCommand, AttributeDecoder) throws -> Element?

    let subscription: MulticastSubscription
    let familyID: UInt16
    let overrun: Element
    let decode: Decode

    /// Port id of the subscriber socket.
    public var localPort: UInt32 { subscription.localPort }

    /// Stops the subscription; iteration ends.
    public func cancel() { subscription.cancel() }

    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: subscription, base: subscription.events.makeAsyncIterator(),
                 familyID: familyID, overrun: overrun, decode: decode)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let subscription: MulticastSubscription
        var base: AsyncStream<MulticastEvent>.AsyncIterator
        let familyID: UInt16
        let overrun: Element
        let decode: Decode

        /// The next message; `nil` once the subscription ended.
        ///
        /// - Throws: `ProtocolError` for a message that does not decode.
        public mutating func next() async throws -> Element? {
            while let event = await base.next() {
                switch event {
                case .overrun:
                    return overrun
                case .message(let message):
                    guard message.header.type == familyID,
                          let generic = try? GenericMessage(message),
                          let command = SubdevCommand(rawValue: generic.command) else { continue }
                    if let element = try decode(command, try generic.decoder()) { return element }
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
        default: return nil
        }
    }
}

extension SubdevEvent {
    static func decode(_ command: SubdevCommand, _ attributes: AttributeDecoder) throws -> SubdevEvent? {
        switch command {
        case .removeRequestNtf: return .removeRequest(try ObjectDecoding.event(attributes))
        case .revokeNtf: return .revoke(try ObjectDecoding.event(attributes))
        default: return nil
        }
    }
}
