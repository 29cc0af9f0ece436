/// One side of a migration as a compatibility check sees it: a live
/// subdevice, or a description exported on another host.
public struct MigrationSide: Sendable, Hashable, Codable {
    /// The parent, `BUS/NAME`; it may be a parent of another host.
    public var parent: String
    /// The type's name.
    public var type: String
    /// Parameter values. The host fills in defaults for a side whose type
    /// it knows, so a plugin sees every parameter of its own types.
    public var params: [String: ParamValue]
    /// The type's `Migration.compatibility`; `nil` when the type does not
    /// migrate or the description did not say.
    public var compatibility: String?

    public init(parent: String, type: String, params: [String: ParamValue], compatibility: String?) {
        self.parent = parent
        self.type = type
        self.params = params
        self.compatibility = compatibility
    }
}

/// The rules a plugin without rules of its own is judged by, and pieces a
/// plugin's own rules can reuse. Each rule returns sentences for the
/// operator, each naming the value at fault; none means it passed.
public enum MigrationRules {
    /// Both sides migrate, have the same type and the same compatibility
    /// data, and every parameter that cannot change while a subdevice
    /// exists has the same value on both.
    public static func standard(from source: MigrationSide, to destination: MigrationSide, type: TypeSpec) -> [String] {
        var problems = migratable(source, destination, type: type)
        if source.type != destination.type {
            problems.append("type differs: \(source.type) on the source, \(destination.type) on the destination")
        }
        if let from = source.compatibility, let to = destination.compatibility, from != to {
            problems.append("migration-compat differs: \(from) on the source, \(to) on the destination")
        }
        problems += fixedParams(source, destination, type: type, ignoring: [])
        return problems
    }

    /// Whether both sides can migrate at all.
    public static func migratable(_ source: MigrationSide, _ destination: MigrationSide, type: TypeSpec) -> [String] {
        var problems: [String] = []
        if source.compatibility == nil {
            problems.append("the source's type \(source.type) does not support migration")
        }
        if !type.migration.supported {
            problems.append("the destination's type \(type.name) does not support migration")
        }
        return problems
    }

    /// Parameters of `type` that cannot change while a subdevice exists
    /// (not `mutable`) and differ between the sides, except `ignoring`;
    /// and source parameters `type` does not have.
    public static func fixedParams(_ source: MigrationSide, _ destination: MigrationSide, type: TypeSpec,
                                   ignoring ignored: Set<String>) -> [String] {
        var problems: [String] = []
        for schema in type.params where !schema.mutable && !ignored.contains(schema.name) {
            let from = source.params[schema.name], to = destination.params[schema.name]
            guard from != to else { continue }
            problems.append("parameter \(schema.name) differs: \(from?.description ?? "absent") on the source, \(to?.description ?? "absent") on the destination, and it cannot change while the subdevice exists")
        }
        for name in source.params.keys.sorted() where type.param(name) == nil {
            problems.append("parameter \(name) of the source is unknown to type \(type.name) on the destination")
        }
        return problems
    }

    /// Splits compatibility data of the form `word;key=value;...` into its
    /// fields; the leading word, if any, is under the key "".
    public static func fields(_ compatibility: String) -> [String: String] {
        var fields: [String: String] = [:]
        for part in compatibility.split(separator: ";") {
            if let equals = part.firstIndex(of: "=") {
                fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
            } else {
                fields["", default: ""] += String(part)
            }
        }
        return fields
    }
}
