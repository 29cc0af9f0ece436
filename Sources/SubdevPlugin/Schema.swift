/// The kind of a parameter or fact value (the spec's `param-kind`).
public enum ParamKind: String, Codable, Sendable, CaseIterable {
    case u8, u16, u32, u64, bool, string, `enum`

    /// Whether values are numbers (`value-int`), else text (`value-str`).
    public var isInteger: Bool {
        switch self {
        case .u8, .u16, .u32, .u64, .bool: return true
        case .string, .enum: return false
        }
    }

    /// The largest value the kind holds.
    public var maximum: UInt64 {
        switch self {
        case .u8: return UInt64(UInt8.max)
        case .u16: return UInt64(UInt16.max)
        case .u32: return UInt64(UInt32.max)
        case .bool: return 1
        case .u64, .string, .enum: return UInt64.max
        }
    }
}

/// A parameter or fact value: numbers (and bools, 0 or 1) or text.
public enum ParamValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(UInt64)
    case string(String)

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return value
        }
    }

    /// The number, if this is one.
    public var int: UInt64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The text, if this is text.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// The schema of one parameter of a type: what `dev-new` and `dev-set`
/// accept, in the words errors use.
public struct ParamSchema: Sendable, Hashable, Codable {
    public var name: String
    public var kind: ParamKind
    /// Smallest integer value; `nil` means 0.
    public var min: UInt64?
    /// Largest integer value; `nil` means the kind's maximum.
    public var max: UInt64?
    /// The value when a request omits it; `nil` makes the parameter required.
    public var defaultValue: ParamValue?
    /// Allowed values of an enum parameter.
    public var choices: [String]
    /// Whether `dev-set` may change it while the subdevice exists.
    public var mutable: Bool
    /// Whether a request may leave it out though it has no default: the
    /// plugin then decides (a placement chosen for the caller, say).
    public var optional: Bool
    /// One sentence: what the parameter means.
    public var doc: String

    public init(name: String, kind: ParamKind, min: UInt64? = nil, max: UInt64? = nil,
                defaultValue: ParamValue? = nil, choices: [String] = [], mutable: Bool = false,
                optional: Bool = false, doc: String) {
        self.name = name
        self.kind = kind
        self.min = min
        self.max = max
        self.defaultValue = defaultValue
        self.choices = choices
        self.mutable = mutable
        self.optional = optional
        self.doc = doc
    }

    /// The range an integer value must fall in: the schema's, within the kind's.
    public var range: ClosedRange<UInt64> {
        let low = min ?? 0
        return low...Swift.max(low, Swift.min(max ?? kind.maximum, kind.maximum))
    }

    /// Checks a value against the schema.
    ///
    /// - Returns: a sentence in the schema's words when the value is not
    ///   acceptable, such as `wq-size 300 out of range 1..128`.
    public func problem(with value: ParamValue) -> String? {
        switch (value, kind.isInteger) {
        case (.int(let number), true):
            guard range.contains(number) else {
                if kind == .bool { return "\(name) is a bool: 0 or 1, not \(number)" }
                return "\(name) \(number) out of range \(range.lowerBound)..\(range.upperBound)"
            }
            return nil
        case (.string(let text), false):
            if kind == .enum, !choices.contains(text) {
                return "\(name) \(text) is not one of \(choices.joined(separator: ", "))"
            }
            if text.utf8.count > 255 { return "\(name) is longer than 255 bytes" }
            return nil
        case (.string, true):
            return "\(name) is a \(kind.rawValue) and takes value-int, not value-str"
        case (.int, false):
            return "\(name) is a\(kind == .enum ? "n" : "") \(kind.rawValue) and takes value-str, not value-int"
        }
    }
}

/// A typed fact: a capability of a type, or a detail of a subdevice (its
/// WQ, its framebuffer offset), read by managers before they open anything.
public struct Fact: Sendable, Hashable, Codable {
    public var name: String
    public var kind: ParamKind
    public var value: ParamValue
    public var doc: String

    public init(name: String, kind: ParamKind, value: ParamValue, doc: String = "") {
        self.name = name
        self.kind = kind
        self.value = value
        self.doc = doc
    }

    public static func int(_ name: String, _ kind: ParamKind = .u64, _ value: UInt64, doc: String = "") -> Fact {
        Fact(name: name, kind: kind, value: .int(value), doc: doc)
    }

    public static func string(_ name: String, _ value: String, doc: String = "") -> Fact {
        Fact(name: name, kind: .string, value: .string(value), doc: doc)
    }
}

/// What kind of function a type offers (the spec's `type-class`).
public enum TypeClass: String, Codable, Sendable, CaseIterable {
    case wq, vgpu, serial, other
}

/// How a subdevice of a type shows its display (the spec's `display`).
public enum Display: String, Codable, Sendable, CaseIterable {
    case none, region, dmabuf
}

/// How subdevices of a type are registered with VFIO (the spec's
/// `registration`), as the kernel's two registration calls differ.
public enum Registration: String, Codable, Sendable, CaseIterable {
    /// `vfio_register_emulated_iommu_dev`: the parent driver mediates DMA
    /// (mdev-style and SIOV-style types; the latter tag it with a PASID).
    case emulatedIOMMU = "emulated-iommu"
    /// `vfio_register_group_dev`: a whole function in an IOMMU group.
    case iommuGroup = "iommu-group"
}

/// Live-migration support of a type, and the data a compatibility check
/// between source and destination compares.
public struct Migration: Sendable, Hashable, Codable {
    public var supported: Bool
    /// A string the vendor defines, such as
    /// `nvidia-vgpu;series=Q;fb=8GiB;abi=17`. The plugin's
    /// `migrationProblems` judges it; by default equal strings migrate.
    public var compatibility: String

    public init(supported: Bool, compatibility: String = "") {
        self.supported = supported
        self.compatibility = compatibility
    }

    public static let unsupported = Migration(supported: false)

    /// `compatibility` when the type migrates, else `nil`: what a
    /// subdevice of the type carries as its `migration-compat`.
    public var offered: String? { supported ? compatibility : nil }
}

/// A type of subdevice a parent offers.
///
/// A value, kept in one shared object: a create looks its type up and
/// hands it to the plugin, and each copy of the nine fields retained
/// six strings and lists and released them again after (36 reference
/// count operations of a create's 270). A copy now retains one object;
/// setting a field gives the copy an object of its own.
public struct TypeSpec: Sendable, Hashable, Codable {
    private struct Fields: Sendable, Hashable {
        var name: String
        var typeClass: TypeClass
        var deviceAPI: String
        var description: String
        var params: [ParamSchema]
        var display: Display
        var migration: Migration
        var capabilities: [Fact]
        var registration: Registration
    }

    /// Never changed once made, so it can be shared across threads.
    private final class Storage: Sendable {
        let fields: Fields
        /// See `valuesWhenNoneGiven`: worked out with the fields.
        let valuesWhenNoneGiven: [(name: String, value: ParamValue)]?

        init(_ fields: Fields) {
            self.fields = fields
            var values: [(name: String, value: ParamValue)]? = []
            for param in fields.params {
                if let value = param.defaultValue {
                    values?.append((param.name, value))
                } else if !param.optional {
                    values = nil
                    break
                }
            }
            valuesWhenNoneGiven = values
        }
    }

    private var storage: Storage

    /// Reads a field in place; `set` makes a changed copy of all of them.
    private subscript<Value>(_ field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        set {
            var fields = storage.fields
            fields[keyPath: field] = newValue
            storage = Storage(fields)
        }
    }

    public var name: String {
        get { storage.fields.name }
        set { self[\.name] = newValue }
    }
    public var typeClass: TypeClass {
        get { storage.fields.typeClass }
        set { self[\.typeClass] = newValue }
    }
    /// The VFIO device API, such as `vfio-pci`.
    public var deviceAPI: String {
        get { storage.fields.deviceAPI }
        set { self[\.deviceAPI] = newValue }
    }
    public var description: String {
        get { storage.fields.description }
        set { self[\.description] = newValue }
    }
    public var params: [ParamSchema] {
        get { storage.fields.params }
        set { self[\.params] = newValue }
    }
    public var display: Display {
        get { storage.fields.display }
        set { self[\.display] = newValue }
    }
    public var migration: Migration {
        get { storage.fields.migration }
        set { self[\.migration] = newValue }
    }
    /// Typed facts about every instance of the type: heads, resolution...
    public var capabilities: [Fact] {
        get { storage.fields.capabilities }
        set { self[\.capabilities] = newValue }
    }
    /// How its subdevices are registered with VFIO.
    public var registration: Registration {
        get { storage.fields.registration }
        set { self[\.registration] = newValue }
    }

    public init(name: String, typeClass: TypeClass, deviceAPI: String = "vfio-pci", description: String,
                params: [ParamSchema] = [], display: Display = .none, migration: Migration = .unsupported,
                capabilities: [Fact] = [], registration: Registration = .emulatedIOMMU) {
        storage = Storage(Fields(name: name, typeClass: typeClass, deviceAPI: deviceAPI, description: description,
                                 params: params, display: display, migration: migration,
                                 capabilities: capabilities, registration: registration))
    }

    public static func == (left: TypeSpec, right: TypeSpec) -> Bool {
        left.storage === right.storage || left.storage.fields == right.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
    }

    public func param(_ name: String) -> ParamSchema? {
        params.first { $0.name == name }
    }

    enum CodingKeys: String, CodingKey {
        case name, typeClass, deviceAPI, description, params, display, migration, capabilities, registration
    }

    /// Fields added after a plugin was written may be absent from its JSON:
    /// they take their defaults, so older plugins keep loading.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  typeClass: try c.decode(TypeClass.self, forKey: .typeClass),
                  deviceAPI: try c.decodeIfPresent(String.self, forKey: .deviceAPI) ?? "vfio-pci",
                  description: try c.decodeIfPresent(String.self, forKey: .description) ?? "",
                  params: try c.decodeIfPresent([ParamSchema].self, forKey: .params) ?? [],
                  display: try c.decodeIfPresent(Display.self, forKey: .display) ?? .none,
                  migration: try c.decodeIfPresent(Migration.self, forKey: .migration) ?? .unsupported,
                  capabilities: try c.decodeIfPresent([Fact].self, forKey: .capabilities) ?? [],
                  registration: try c.decodeIfPresent(Registration.self, forKey: .registration) ?? .emulatedIOMMU)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(typeClass, forKey: .typeClass)
        try c.encode(deviceAPI, forKey: .deviceAPI)
        try c.encode(description, forKey: .description)
        try c.encode(params, forKey: .params)
        try c.encode(display, forKey: .display)
        try c.encode(migration, forKey: .migration)
        try c.encode(capabilities, forKey: .capabilities)
        try c.encode(registration, forKey: .registration)
    }

    /// The values of a subdevice made without parameters: each default,
    /// in schema order, optional parameters without one left out; `nil`
    /// when some parameter is required. One list for all such
    /// subdevices, made with the type: building it anew cost each create
    /// an allocation and a free, only to be shared with the last one's.
    public var valuesWhenNoneGiven: [(name: String, value: ParamValue)]? { storage.valuesWhenNoneGiven }

    /// Every parameter at its default; required ones are left out.
    public var defaults: [String: ParamValue] {
        var values: [String: ParamValue] = [:]
        for param in params { values[param.name] = param.defaultValue }
        return values
    }
}

/// A shared capacity counter: framebuffer bytes, WQ entries, PASIDs...
public struct CounterSpec: Sendable, Hashable, Codable {
    public var name: String
    public var total: UInt64

    public init(name: String, total: UInt64) {
        self.name = name
        self.total = total
    }
}

/// Everything a plugin says about one parent, from its hardware description.
public struct ParentSpec: Sendable, Hashable, Codable {
    public var vendor: String
    public var types: [TypeSpec]
    /// Shared counters, in the order they are reported.
    public var counters: [CounterSpec]

    public init(vendor: String, types: [TypeSpec], counters: [CounterSpec]) {
        self.vendor = vendor
        self.types = types
        self.counters = counters
    }

    public func type(_ name: String) -> TypeSpec? {
        types.first { $0.name == name }
    }
}
