import Subdev

/// The next message of a subscription, or `nil` after `timeout` seconds.
func nextMessage<Element: Sendable>(_ iterator: inout GroupMessages<Element>.Iterator,
                                    timeout: Double = 5) async throws -> Element? {
    let box = GroupIteratorBox(iterator)
    defer { iterator = box.iterator }
    return try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask { try await box.next() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// Lets a child task advance an iterator the test owns.
final class GroupIteratorBox<Element: Sendable>: @unchecked Sendable {
    var iterator: GroupMessages<Element>.Iterator
    init(_ iterator: GroupMessages<Element>.Iterator) { self.iterator = iterator }
    func next() async throws -> Element? { try await iterator.next() }
}

/// A model with a client subscribed to both groups, for tests that follow
/// the exact sequence of notifications and events.
struct SubscribedModel {
    let model: ModelProcess
    let client: SubdevClient
    var config: ConfigNotifications.Iterator
    var events: SubdevEvents.Iterator
    let subscriptions: (ConfigNotifications, SubdevEvents)

    static func start(_ arguments: [String]) async throws -> SubscribedModel {
        let model = try ModelProcess.start(arguments: arguments)
        let client = try await SubdevClient.connect(port: model.port)
        let config = try client.configNotifications()
        let events = try client.events()
        return SubscribedModel(model: model, client: client, config: config.makeAsyncIterator(),
                               events: events.makeAsyncIterator(), subscriptions: (config, events))
    }
}
