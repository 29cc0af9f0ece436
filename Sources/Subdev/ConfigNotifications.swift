import Netlink
import SubdevUAPI

/// The notifications of the `config` group, decoded as they are read.
///
/// Decoding happens in `next()`, so the subscription's bounded buffer is
/// the only one: a consumer that falls behind sees `.overrun` rather than
/// an ever-growing queue. Iterate from one task. The socket closes when
/// `cancel()` is called or the sequence and its iterators are gone.
public struct ConfigNotifications: AsyncSequence, Sendable {
    public typealias Element = ConfigNotification

    let subscription: MulticastSubscription
    let familyID: UInt16

    /// Port id of the subscriber socket.
    public var localPort: UInt32 { subscription.localPort }

    /// Stops the subscription; iteration ends.
    public func cancel() { subscription.cancel() }

    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: subscription, base: subscription.events.makeAsyncIterator(), familyID: familyID)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let subscription: MulticastSubscription
        var base: AsyncStream<MulticastEvent>.AsyncIterator
        let familyID: UInt16

        /// The next notification; `nil` once the subscription ended.
        ///
        /// - Throws: `ProtocolError` for a notification that does not decode.
        public mutating func next() async throws -> ConfigNotification? {
            while let event = await base.next() {
                switch event {
                case .overrun:
                    return .overrun
                case .message(let message):
                    guard message.header.type == familyID,
                          let generic = try? GenericMessage(message),
                          let command = SubdevCommand(rawValue: generic.command) else { continue }
                    let device = try ObjectDecoding.device(try generic.decoder())
                    switch command {
                    case .devNewNtf: return .created(device)
                    case .devChangeNtf: return .changed(device)
                    case .devDelNtf: return .deleted(device)
                    default: continue
                    }
                }
            }
            return nil
        }
    }
}
