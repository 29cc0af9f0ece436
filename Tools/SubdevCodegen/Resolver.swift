// From the spec as written (SpecModel.swift) to the resolved Family
// (Family.swift): assigns values, resolves every reference by name, turns
// checks into numbers, and rejects what is inconsistent or what this
// generator does not implement, naming the spec element at fault.

struct Resolver {
    private let raw: RawSpec
    private var consts: [Const] = []
    private var enums: [EnumDefinition] = []

    private init(raw: RawSpec) {
        self.raw = raw
    }

    /// Resolves a decoded spec into a Family.
    static func resolve(_ raw: RawSpec) throws(CodegenError) -> Family {
        var resolver = Resolver(raw: raw)
        return try resolver.run()
    }

    private mutating func run() throws(CodegenError) -> Family {
        let family = raw.name
        try checkName(family, element: "name")
        if let proto = raw.protocol, proto != "genetlink" {
            throw CodegenError(.unsupported, "protocol", "protocol '\(proto)' is not supported; only genetlink is")
        }
        try resolveDefinitions()

        var version: UInt32 = 1
        if let versionConst = consts.first(where: { $0.name == "version" }) {
            guard let value = UInt32(exactly: versionConst.value) else {
                throw CodegenError(.invalidValue, "definitions[version]", "value \(versionConst.value) does not fit a UInt32 family version")
            }
            version = value
        }

        let sets = try resolveAttributeSets()
        let groups = try resolveMulticastGroups()
        let operations = try resolveOperations(sets: sets, groups: groups)
        let header = raw.uapiHeader ?? "linux/\(family).h"
        guard header.hasSuffix(".h"), !header.hasPrefix("/"), !header.contains("..") else {
            throw CodegenError(.invalidValue, "uapi-header", "'\(header)' is not a relative path to a .h file")
        }

        return Family(
            name: family,
            doc: raw.doc ?? "",
            version: version,
            uapiHeader: header,
            consts: consts,
            enums: enums,
            attributeSets: sets,
            operations: operations,
            commandPrefix: raw.operations.namePrefix ?? "\(family)-cmd-",
            commandEnumName: raw.operations.enumName,
            multicastGroups: groups
        )
    }

    // MARK: - Definitions

    private mutating func resolveDefinitions() throws(CodegenError) {
        var seen: Set<String> = []
        for definition in raw.definitions ?? [] {
            let element = "definitions[\(definition.name)]"
            try checkName(definition.name, element: element)
            guard seen.insert(definition.name).inserted else {
                throw CodegenError(.duplicate, element, "a definition called '\(definition.name)' already exists")
            }
            let inHeader: Bool
            switch definition.scope {
            case nil, "uapi": inHeader = definition.header == nil
            case "kernel", "user": inHeader = false
            case let other?:
                throw CodegenError(.malformed, element + ".scope", "unknown scope '\(other)'; expected uapi, kernel or user")
            }
            switch definition.type {
            case "const":
                consts.append(Const(
                    name: definition.name,
                    doc: definition.doc ?? "",
                    value: try constValue(definition, element: element),
                    inHeader: inHeader
                ))
            case "enum":
                enums.append(try enumDefinition(definition, inHeader: inHeader, element: element))
            case "flags":
                throw CodegenError(.unsupported, element, "flags definitions are not supported by subdev-codegen")
            default:
                throw CodegenError(.malformed, element + ".type", "unknown definition type '\(definition.type)'; expected const, enum or flags")
            }
        }
    }

    private func constValue(_ definition: RawDefinition, element: String) throws(CodegenError) -> Int {
        switch definition.value {
        case nil:
            throw CodegenError(.malformed, element, "a const needs a value")
        case .int(let value)?:
            return value
        case .string(let text)?:
            guard let value = Int(text) else {
                throw CodegenError(.unsupported, element + ".value", "'\(text)' is not an integer; only integer consts are supported")
            }
            return value
        }
    }

    private func enumDefinition(_ definition: RawDefinition, inHeader: Bool, element: String) throws(CodegenError) -> EnumDefinition {
        guard let rawEntries = definition.entries, !rawEntries.isEmpty else {
            throw CodegenError(.malformed, element, "an enum needs at least one entry")
        }
        var next: Int
        switch definition.valueStart {
        case nil: next = 0
        case .int(let value)?: next = value
        case .string(let text)?:
            guard let value = Int(text) else {
                throw CodegenError(.unsupported, element + ".value-start", "'\(text)' is not an integer")
            }
            next = value
        }
        var entries: [EnumEntry] = []
        var names: Set<String> = []
        var values: [Int: String] = [:]
        for rawEntry in rawEntries {
            let entryElement = "\(element).entries[\(rawEntry.name)]"
            try checkName(rawEntry.name, element: entryElement)
            let value = rawEntry.value ?? next
            guard names.insert(rawEntry.name).inserted else {
                throw CodegenError(.duplicate, entryElement, "the enum already has an entry called '\(rawEntry.name)'")
            }
            if let other = values[value] {
                throw CodegenError(.duplicate, entryElement, "value \(value) is already that of '\(other)'")
            }
            guard value >= 0, UInt32(exactly: value) != nil else {
                throw CodegenError(.invalidValue, entryElement, "value \(value) does not fit a UInt32")
            }
            values[value] = rawEntry.name
            entries.append(EnumEntry(name: rawEntry.name, doc: rawEntry.doc ?? "", value: value))
            next = value + 1
        }
        return EnumDefinition(
            name: definition.name,
            doc: definition.doc ?? "",
            entries: entries,
            renderMax: definition.renderMax ?? false,
            inHeader: inHeader
        )
    }

    // MARK: - Attribute sets

    private func resolveAttributeSets() throws(CodegenError) -> [AttributeSet] {
        var setNames: Set<String> = []
        for set in raw.attributeSets {
            let element = "attribute-sets[\(set.name)]"
            try checkName(set.name, element: element)
            guard setNames.insert(set.name).inserted else {
                throw CodegenError(.duplicate, element, "an attribute set called '\(set.name)' already exists")
            }
        }
        var sets: [AttributeSet] = []
        for set in raw.attributeSets {
            sets.append(try attributeSet(set, knownSets: setNames))
        }
        return sets
    }

    private func attributeSet(_ set: RawAttributeSet, knownSets: Set<String>) throws(CodegenError) -> AttributeSet {
        let element = "attribute-sets[\(set.name)]"
        if set.subsetOf != nil {
            throw CodegenError(.unsupported, element + ".subset-of", "subset attribute sets are not supported by subdev-codegen")
        }
        guard !set.attributes.isEmpty else {
            throw CodegenError(.malformed, element, "an attribute set needs at least one attribute")
        }
        var attributes: [Attribute] = []
        var names: Set<String> = []
        var ids: [UInt16: String] = [:]
        var next = 1
        for rawAttribute in set.attributes {
            let attributeElement = "\(element).attributes[\(rawAttribute.name)]"
            try checkName(rawAttribute.name, element: attributeElement)
            guard names.insert(rawAttribute.name).inserted else {
                throw CodegenError(.duplicate, attributeElement, "the set already has an attribute called '\(rawAttribute.name)'")
            }
            let value = rawAttribute.value ?? next
            // Netlink keeps the top two bits of the type for flags.
            guard (0...0x3fff).contains(value), let id = UInt16(exactly: value) else {
                throw CodegenError(.invalidValue, attributeElement, "value \(value) is not an attribute type (0 to 16383)")
            }
            if let other = ids[id] {
                throw CodegenError(.duplicate, attributeElement, "value \(id) is already that of '\(other)'")
            }
            ids[id] = rawAttribute.name
            next = value + 1
            attributes.append(try attribute(rawAttribute, id: id, knownSets: knownSets, element: attributeElement))
        }
        return AttributeSet(
            name: set.name,
            doc: set.doc ?? "",
            namePrefix: set.namePrefix ?? "\(raw.name)-a-\(set.name)-",
            enumName: set.enumName,
            attributes: attributes
        )
    }

    private func attribute(_ rawAttribute: RawAttribute, id: UInt16, knownSets: Set<String>, element: String) throws(CodegenError) -> Attribute {
        guard let typeName = rawAttribute.type else {
            throw CodegenError(.malformed, element, "the attribute has no type")
        }
        guard let kind = AttributeKind(rawValue: typeName) else {
            if typeName == "indexed-array" || typeName == "nest-type-value" {
                throw CodegenError(.unsupported, element + ".type", "type '\(typeName)' is not supported by subdev-codegen")
            }
            throw CodegenError(.malformed, element + ".type", "unknown type '\(typeName)'")
        }
        if rawAttribute.enumAsFlags == true {
            throw CodegenError(.unsupported, element + ".enum-as-flags", "enums as flags are not supported by subdev-codegen")
        }
        if rawAttribute.byteOrder != nil {
            throw CodegenError(.unsupported, element + ".byte-order", "a byte order is not supported by subdev-codegen")
        }
        if rawAttribute.subType != nil || rawAttribute.typeValue != nil {
            throw CodegenError(.unsupported, element, "sub-type and type-value are not supported by subdev-codegen")
        }

        var nestedSet: String?
        if let nested = rawAttribute.nestedAttributes {
            guard kind == .nest else {
                throw CodegenError(.malformed, element + ".nested-attributes", "only a nest attribute has nested attributes, not a \(typeName) one")
            }
            guard knownSets.contains(nested) else {
                throw CodegenError(.unknownAttributeSet, element + ".nested-attributes", "'\(nested)' is not an attribute set of the spec")
            }
            nestedSet = nested
        }

        var enumType: EnumDefinition?
        if let enumName = rawAttribute.enumName {
            guard kind.isInteger else {
                throw CodegenError(.malformed, element + ".enum", "only an integer attribute can hold an enum, not a \(typeName) one")
            }
            guard let found = enums.first(where: { $0.name == enumName }) else {
                let what = consts.contains { $0.name == enumName } ? "a const, not an enum" : "not an enum definition of the spec"
                throw CodegenError(.unknownEnum, element + ".enum", "'\(enumName)' is \(what)")
            }
            enumType = found
        }

        var attribute = Attribute(
            name: rawAttribute.name,
            doc: rawAttribute.doc ?? "",
            id: id,
            kind: kind,
            multi: rawAttribute.multiAttr ?? false,
            nestedSet: nestedSet,
            enumName: rawAttribute.enumName,
            checkSummary: []
        )
        try applyChecks(rawAttribute.checks, enumDefinition: enumType, to: &attribute, element: element)
        return attribute
    }

    // MARK: - Checks

    private func applyChecks(
        _ checks: RawChecks?, enumDefinition: EnumDefinition?, to attribute: inout Attribute, element: String
    ) throws(CodegenError) {
        let kind = attribute.kind
        let checksElement = element + ".checks"
        if checks?.flagsMask != nil {
            throw CodegenError(.unsupported, checksElement + ".flags-mask", "flags masks are not supported by subdev-codegen")
        }

        // Integer bounds: explicit checks win over those an enum implies.
        var low: (value: WideInt, note: String?)?
        var high: (value: WideInt, note: String?)?
        if let scalar = checks?.min {
            low = try integerBound(scalar, kind: kind, element: checksElement + ".min")
        }
        if let scalar = checks?.max {
            high = try integerBound(scalar, kind: kind, element: checksElement + ".max")
        }
        if let enumDefinition, let range = kind.integerRange {
            let enumNote = "enum \(enumDefinition.name)"
            if WideInt(enumDefinition.highest) > range.high {
                throw CodegenError(.invalidValue, element + ".enum", "enum \(enumDefinition.name) has value \(enumDefinition.highest), which does not fit \(kind.rawValue)")
            }
            if low == nil { low = (WideInt(enumDefinition.lowest), enumNote) }
            if high == nil { high = (WideInt(enumDefinition.highest), enumNote) }
        }
        if let low, let high, high.value < low.value {
            throw CodegenError(.invalidValue, checksElement, "max \(high.value) is below min \(low.value)")
        }
        if let low {
            guard let value = low.value.asInt64 else {
                throw CodegenError(.unsupported, checksElement + ".min", "min \(low.value) does not fit the policy's Int64")
            }
            attribute.min = value
        }
        if let high {
            guard let value = high.value.asUInt64 else {
                throw CodegenError(.unsupported, checksElement + ".max", "a negative max (\(high.value)) does not fit the policy's UInt64")
            }
            attribute.max = value
        }
        if let low, let high, let note = low.note, note == high.note, note.hasPrefix("enum ") {
            attribute.checkSummary.append("\(low.value) to \(high.value) (\(note))")
        } else {
            if let low { attribute.checkSummary.append(Self.summary("min", low.value.description, low.note)) }
            if let high { attribute.checkSummary.append(Self.summary("max", high.value.description, high.note)) }
        }

        // Lengths, of strings and binaries.
        let lengths: [(key: String, scalar: RawScalar?, path: WritableKeyPath<Attribute, Int?>)] = [
            ("min-len", checks?.minLen, \.minLength),
            ("max-len", checks?.maxLen, \.maxLength),
            ("exact-len", checks?.exactLen, \.exactLength),
        ]
        for (key, scalar, path) in lengths {
            guard let scalar else { continue }
            let lengthElement = "\(checksElement).\(key)"
            guard kind == .string || kind == .binary else {
                throw CodegenError(.malformed, lengthElement, "\(key) applies to string and binary attributes, not \(kind.rawValue)")
            }
            let (value, note) = try length(scalar, element: lengthElement)
            attribute[keyPath: path] = value
            attribute.checkSummary.append(Self.summary(key, String(value), note))
        }
        if let minLength = attribute.minLength, let maxLength = attribute.maxLength, maxLength < minLength {
            throw CodegenError(.invalidValue, checksElement, "max-len \(maxLength) is below min-len \(minLength)")
        }
    }

    private static func summary(_ key: String, _ value: String, _ note: String?) -> String {
        if let note { return "\(key) \(value) (\(note))" }
        return "\(key) \(value)"
    }

    /// A `min` or `max`: a literal, a const, or a limit such as `u16-max`; it
    /// must fit the attribute's type. The note is the name it was given by.
    private func integerBound(_ scalar: RawScalar, kind: AttributeKind, element: String) throws(CodegenError) -> (value: WideInt, note: String?) {
        guard let range = kind.integerRange else {
            throw CodegenError(.malformed, element, "min and max apply to integer attributes, not \(kind.rawValue)")
        }
        let value: WideInt
        var note: String?
        switch scalar {
        case .int(let literal):
            value = WideInt(literal)
        case .string(let text):
            if let literal = Int(text) {
                value = WideInt(literal)
            } else if let limit = Self.limit(text) {
                value = limit
                note = text
            } else if let found = consts.first(where: { $0.name == text }) {
                value = WideInt(found.value)
                note = text
            } else {
                throw CodegenError(.unknownConst, element, "'\(text)' is neither a const definition nor a limit such as u32-max")
            }
        }
        guard range.low <= value, value <= range.high else {
            throw CodegenError(.invalidValue, element, "\(value) does not fit \(kind.rawValue)")
        }
        return (value, note)
    }

    /// The value of a limit such as `u8-max` or `s32-min`.
    static func limit(_ text: String) -> WideInt? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let sign = parts[0].first, sign == "u" || sign == "s",
              let bits = Int(parts[0].dropFirst()), [8, 16, 32, 64].contains(bits) else { return nil }
        switch (sign, parts[1]) {
        case ("u", "min"): return .zero
        case ("u", "max"): return .unsigned(bits == 64 ? UInt64.max : (UInt64(1) << bits) - 1)
        case ("s", "min"): return .signed(bits == 64 ? Int64.min : -(Int64(1) << (bits - 1)))
        case ("s", "max"): return .signed(bits == 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1)
        default: return nil
        }
    }

    /// A `min-len`, `max-len` or `exact-len`: a literal or a const, optionally
    /// followed by ` - 1`. The note is the expression it was given as.
    private func length(_ scalar: RawScalar, element: String) throws(CodegenError) -> (value: Int, note: String?) {
        let value: Int
        var note: String?
        switch scalar {
        case .int(let literal):
            value = literal
        case .string(let text):
            var base = text.trimmingSpaces
            var minusOne = false
            if base.hasSuffix(" - 1") {
                base = String(base.dropLast(4)).trimmingSpaces
                minusOne = true
            }
            let baseValue: Int
            if let literal = Int(base) {
                baseValue = literal
            } else if let found = consts.first(where: { $0.name == base }) {
                baseValue = found.value
                note = text
            } else {
                throw CodegenError(.unknownConst, element, "'\(base)' is not a const definition of the spec")
            }
            value = minusOne ? baseValue - 1 : baseValue
        }
        guard value >= 0 else {
            throw CodegenError(.invalidValue, element, "length \(value) is negative")
        }
        return (value, note)
    }

    // MARK: - Multicast groups

    private func resolveMulticastGroups() throws(CodegenError) -> [MulticastGroup] {
        var groups: [MulticastGroup] = []
        var names: Set<String> = []
        for group in raw.mcastGroups?.list ?? [] {
            let element = "mcast-groups[\(group.name)]"
            try checkName(group.name, element: element)
            guard names.insert(group.name).inserted else {
                throw CodegenError(.duplicate, element, "a multicast group called '\(group.name)' already exists")
            }
            let flags = group.flags ?? []
            try checkFlags(flags, element: element + ".flags")
            groups.append(MulticastGroup(name: group.name, flags: flags))
        }
        return groups
    }

    // MARK: - Operations

    private func resolveOperations(sets: [AttributeSet], groups: [MulticastGroup]) throws(CodegenError) -> [Operation] {
        let operations = raw.operations
        if let model = operations.enumModel, model != "unified" {
            throw CodegenError(.unsupported, "operations.enum-model", "enum model '\(model)' is not supported; only unified is")
        }
        if operations.asyncPrefix != nil || operations.asyncEnum != nil {
            throw CodegenError(.unsupported, "operations", "async-prefix and async-enum are not supported by subdev-codegen")
        }
        guard !operations.list.isEmpty else {
            throw CodegenError(.malformed, "operations.list", "the family needs at least one operation")
        }

        var byName: [String: RawOperation] = [:]
        for operation in operations.list {
            let element = "operations[\(operation.name)]"
            try checkName(operation.name, element: element)
            guard byName[operation.name] == nil else {
                throw CodegenError(.duplicate, element, "an operation called '\(operation.name)' already exists")
            }
            byName[operation.name] = operation
        }

        var result: [Operation] = []
        var values: [UInt8: String] = [:]
        var next = 1
        for operation in operations.list {
            let element = "operations[\(operation.name)]"
            let value = operation.value ?? next
            guard let command = UInt8(exactly: value) else {
                throw CodegenError(.invalidValue, element, "value \(value) is not a command number (0 to 255)")
            }
            if let other = values[command] {
                throw CodegenError(.duplicate, element, "value \(command) is already that of '\(other)'")
            }
            values[command] = operation.name
            next = value + 1
            result.append(try resolveOperation(operation, command: command, byName: byName, sets: sets, groups: groups))
        }
        return result
    }

    private func resolveOperation(
        _ operation: RawOperation, command: UInt8, byName: [String: RawOperation],
        sets: [AttributeSet], groups: [MulticastGroup]
    ) throws(CodegenError) -> Operation {
        let element = "operations[\(operation.name)]"
        if operation.event != nil {
            guard operation.notify == nil else {
                throw CodegenError(.malformed, element + ".event", "an operation is an event or a notification, not both")
            }
            guard operation.do == nil, operation.dump == nil else {
                throw CodegenError(.malformed, element, "an event has neither do nor dump")
            }
            guard operation.attributeSet != nil else {
                throw CodegenError(.malformed, element + ".attribute-set", "an event names the attribute set of its attributes")
            }
        }
        let flags = operation.flags ?? []
        try checkFlags(flags, element: element + ".flags")

        var setName = operation.attributeSet
        if let target = operation.notify {
            guard let targetOperation = byName[target] else {
                throw CodegenError(.unknownOperation, element + ".notify", "'\(target)' is not an operation of the spec")
            }
            guard targetOperation.notify == nil, target != operation.name else {
                throw CodegenError(.malformed, element + ".notify", "'\(target)' is itself a notification")
            }
            guard operation.do == nil, operation.dump == nil else {
                throw CodegenError(.malformed, element, "a notification has neither do nor dump")
            }
            setName = setName ?? targetOperation.attributeSet
        } else if operation.mcgrp != nil, operation.event == nil {
            throw CodegenError(.malformed, element + ".mcgrp", "only a notification or an event is sent to a multicast group")
        }

        var set: AttributeSet?
        if let setName {
            guard let found = sets.first(where: { $0.name == setName }) else {
                throw CodegenError(.unknownAttributeSet, element + ".attribute-set", "'\(setName)' is not an attribute set of the spec")
            }
            set = found
        }

        var group: String?
        if let name = operation.mcgrp {
            guard groups.contains(where: { $0.name == name }) else {
                throw CodegenError(.unknownMulticastGroup, element + ".mcgrp", "'\(name)' is not a multicast group of the spec")
            }
            group = name
        }

        return Operation(
            name: operation.name,
            doc: operation.doc ?? "",
            value: command,
            attributeSet: setName,
            flags: flags,
            doPart: try part(operation.do, set: set, element: element + ".do"),
            dumpPart: try part(operation.dump, set: set, element: element + ".dump"),
            notify: operation.notify,
            multicastGroup: group,
            event: try references(operation.event, set: set, element: element + ".event")
        )
    }

    private func part(_ rawPart: RawSubOperation?, set: AttributeSet?, element: String) throws(CodegenError) -> OperationPart? {
        guard let rawPart else { return nil }
        return OperationPart(
            request: try references(rawPart.request, set: set, element: element + ".request"),
            reply: try references(rawPart.reply, set: set, element: element + ".reply")
        )
    }

    private func references(_ list: RawAttributeList?, set: AttributeSet?, element: String) throws(CodegenError) -> [AttributeReference]? {
        guard let list else { return nil }
        let names = list.attributes ?? []
        var result: [AttributeReference] = []
        for name in names {
            guard let set else {
                throw CodegenError(.malformed, element, "names attribute '\(name)' but the operation has no attribute-set")
            }
            guard let attribute = set.attribute(named: name) else {
                throw CodegenError(.unknownAttribute, element, "'\(name)' is not an attribute of set '\(set.name)'")
            }
            guard !result.contains(where: { $0.name == name }) else {
                throw CodegenError(.duplicate, element, "'\(name)' is listed twice")
            }
            result.append(AttributeReference(name: name, id: attribute.id))
        }
        return result
    }

    // MARK: - Helpers

    private func checkFlags(_ flags: [String], element: String) throws(CodegenError) {
        for flag in flags where flag != "admin-perm" {
            throw CodegenError(.unsupported, element, "flag '\(flag)' is not supported; only admin-perm is")
        }
    }

    /// Names are lower-case letters, digits and dashes, as the schema says;
    /// the generated identifiers rely on it.
    private func checkName(_ name: String, element: String) throws(CodegenError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !name.isEmpty, allowed, name.contains(where: { $0 != "-" }) else {
            throw CodegenError(.malformed, element, "'\(name)' is not a valid name (lower-case letters, digits and dashes)")
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
