import Netlink
import Subdev

/// The autostart agent: creates each autostart definition when its parent
/// is present: when the agent starts, when a hotplug adds the parent, and
/// after it lost notifications and dumped the state again.
///
/// A definition that fails is reported once, with the family's reason,
/// and not tried again until its parent appears anew or its definition
/// changes: no retry storm against a parent that has no room. One whose
/// subdevice exists already (by name) is left be.
///
/// An actor: `pass` and `run` may be called from any task.
public actor Autostarter {
    /// What one attempt came to.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case started(name: String, device: DeviceInfo)
        case failed(name: String, parent: String, reason: String)

        public var description: String {
            switch self {
            case .started(let name, let device):
                return "\(name) started as \(device.parent)/\(device.index)\(device.vfio.map { " (vfio\($0.index))" } ?? "")"
            case .failed(let name, let parent, let reason):
                return "\(name) failed: \(reason); not tried again until \(parent) appears anew or the definition changes"
            }
        }
    }

    struct Attempt: Hashable {
        var definition: DeviceDefinition
        var appearance: Int
    }

    let client: SubdevClient
    let store: DefinitionStore
    let report: @Sendable (Outcome) -> Void
    let problem: @Sendable (String) -> Void
    /// How many times each parent has appeared by hotplug while the agent ran.
    private var appearances: [String: Int] = [:]
    /// The last attempt for each definition name.
    private var tried: [String: Attempt] = [:]
    /// Parameter schemas by `PARENT TYPE`, asked once per pass: a
    /// `type-get` also works out the type's room, which is not free.
    private var schemas: [String: [ParamInfo]] = [:]

    /// - Parameters:
    ///   - report: called with each attempt's outcome.
    ///   - problem: called with each definition file that cannot be read.
    public init(client: SubdevClient, store: DefinitionStore,
                report: @escaping @Sendable (Outcome) -> Void,
                problem: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.store = store
        self.report = report
        self.problem = problem
    }

    /// Subscribes to `config`, starts what is due now, then follows
    /// parents as they appear until the subscription ends or the task is
    /// cancelled.
    public func run() async throws {
        let notifications = try client.configNotifications()
        defer { notifications.cancel() }
        _ = try await pass()
        for try await notification in notifications {
            switch notification {
            case .parentAdded(let parent):
                appearances[parent.handle.description, default: 0] += 1
                _ = try await pass(only: parent.handle)
            case .resynchronised:
                _ = try await pass()
            default:
                continue
            }
        }
    }

    /// Tries every autostart definition whose parent (`only`, when given)
    /// is present, whose subdevice does not exist, and that was not tried
    /// already for this appearance of its parent; returns the outcomes.
    ///
    /// - Throws: only when the family cannot be asked what is present.
    @discardableResult
    public func pass(only: ParentHandle? = nil) async throws -> [Outcome] {
        schemas = [:]
        let (definitions, problems) = store.all()
        problems.forEach(problem)
        let present = Set(try await client.parents().map(\.handle.description))
        var live: Set<String>?
        var outcomes: [Outcome] = []
        for definition in definitions where definition.autostart && present.contains(definition.parent) {
            if let only, definition.parent != only.description { continue }
            let attempt = Attempt(definition: definition, appearance: appearances[definition.parent, default: 0])
            guard tried[definition.name] != attempt else { continue }
            if live == nil { live = Set(try await client.devices().compactMap(\.name)) }
            if live?.contains(definition.name) == true { continue }
            tried[definition.name] = attempt
            let outcome = await start(definition)
            if case .started = outcome { live?.insert(definition.name) }
            report(outcome)
            outcomes.append(outcome)
        }
        return outcomes
    }

    private func start(_ definition: DeviceDefinition) async -> Outcome {
        do {
            let key = "\(definition.parent) \(definition.type)"
            var schema = schemas[key]
            if schema == nil, !definition.params.isEmpty, let parent = ParentHandle(parsing: definition.parent) {
                schema = try await client.type(definition.type, of: parent).params
                schemas[key] = schema
            }
            return .started(name: definition.name, device: try await Self.start(definition, with: client, schema: schema))
        } catch {
            return .failed(name: definition.name, parent: definition.parent, reason: "\(error)")
        }
    }

    /// Creates the subdevice `definition` describes: its type's schema
    /// (`schema`, else asked for) reads the parameter values, then one `dev-new`.
    public static nonisolated(nonsending) func start(_ definition: DeviceDefinition, with client: SubdevClient,
                             schema known: [ParamInfo]? = nil) async throws -> DeviceInfo {
        try definition.validate()
        guard let parent = ParentHandle(parsing: definition.parent) else {
            throw DefinitionError("parent \(definition.parent) of \(definition.name) is not BUS/NAME")
        }
        let schema: [ParamInfo]
        if definition.params.isEmpty {
            schema = []
        } else if let known {
            schema = known
        } else {
            schema = try await client.type(definition.type, of: parent).params
        }
        let device = try definition.newDevice(schema: schema)
        return try await client.createDevice(parent: device.parent, type: device.type, name: device.name,
                                             adminState: device.adminState, params: device.params, node: device.node)
    }
}
