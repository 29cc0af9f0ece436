// The spec as written: Decodable structs that mirror the YNL genetlink schema
// key for key. Nothing here is checked beyond its shape; Resolver.swift turns
// it into a Family with every name resolved and every value assigned.

/// A YNL scalar that may be an integer or a name: const values, `value-start`,
/// and check bounds such as `max-len: name-len`.
enum RawScalar: Decodable, Equatable, Sendable {
    case int(Int)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The value as the spec spells it.
    var spelled: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let text): return text
        }
    }
}

/// The whole spec document.
struct RawSpec: Decodable, Sendable {
    var name: String
    var doc: String?
    var `protocol`: String?
    var uapiHeader: String?
    var definitions: [RawDefinition]?
    var attributeSets: [RawAttributeSet]
    var operations: RawOperations
    var mcastGroups: RawMulticastGroups?

    enum CodingKeys: String, CodingKey {
        case name, doc, `protocol`, definitions, operations
        case uapiHeader = "uapi-header"
        case attributeSets = "attribute-sets"
        case mcastGroups = "mcast-groups"
    }
}

/// One entry of `definitions`: a const, an enum or a flags set.
struct RawDefinition: Decodable, Sendable {
    var type: String
    var name: String
    var doc: String?
    var value: RawScalar?
    var valueStart: RawScalar?
    var entries: [RawEnumEntry]?
    var renderMax: Bool?
    var header: String?
    var scope: String?

    enum CodingKeys: String, CodingKey {
        case type, name, doc, value, entries, header, scope
        case valueStart = "value-start"
        case renderMax = "render-max"
    }
}

/// One entry of an enum: either a bare name or a mapping with name, value and doc.
struct RawEnumEntry: Decodable, Sendable {
    var name: String
    var value: Int?
    var doc: String?

    enum CodingKeys: String, CodingKey {
        case name, value, doc
    }

    init(from decoder: any Decoder) throws {
        if let bare = try? decoder.singleValueContainer().decode(String.self) {
            name = bare
            value = nil
            doc = nil
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        value = try container.decodeIfPresent(Int.self, forKey: .value)
        doc = try container.decodeIfPresent(String.self, forKey: .doc)
    }
}

/// One entry of `attribute-sets`.
struct RawAttributeSet: Decodable, Sendable {
    var name: String
    var doc: String?
    var namePrefix: String?
    var enumName: String?
    var subsetOf: String?
    var attributes: [RawAttribute]

    enum CodingKeys: String, CodingKey {
        case name, doc, attributes
        case namePrefix = "name-prefix"
        case enumName = "enum-name"
        case subsetOf = "subset-of"
    }
}

/// One attribute of a set.
struct RawAttribute: Decodable, Sendable {
    var name: String
    var type: String?
    var doc: String?
    var value: Int?
    var multiAttr: Bool?
    var nestedAttributes: String?
    var enumName: String?
    var enumAsFlags: Bool?
    var checks: RawChecks?
    var byteOrder: String?
    var subType: String?
    var typeValue: [String]?
    var displayHint: String?

    enum CodingKeys: String, CodingKey {
        case name, type, doc, value, checks
        case multiAttr = "multi-attr"
        case nestedAttributes = "nested-attributes"
        case enumName = "enum"
        case enumAsFlags = "enum-as-flags"
        case byteOrder = "byte-order"
        case subType = "sub-type"
        case typeValue = "type-value"
        case displayHint = "display-hint"
    }
}

/// The `checks` of an attribute: kernel input validation.
struct RawChecks: Decodable, Sendable {
    var flagsMask: String?
    var min: RawScalar?
    var max: RawScalar?
    var minLen: RawScalar?
    var maxLen: RawScalar?
    var exactLen: RawScalar?

    enum CodingKeys: String, CodingKey {
        case min, max
        case flagsMask = "flags-mask"
        case minLen = "min-len"
        case maxLen = "max-len"
        case exactLen = "exact-len"
    }
}

/// The `operations` mapping.
struct RawOperations: Decodable, Sendable {
    var enumModel: String?
    var namePrefix: String?
    var enumName: String?
    var asyncPrefix: String?
    var asyncEnum: String?
    var list: [RawOperation]

    enum CodingKeys: String, CodingKey {
        case list
        case enumModel = "enum-model"
        case namePrefix = "name-prefix"
        case enumName = "enum-name"
        case asyncPrefix = "async-prefix"
        case asyncEnum = "async-enum"
    }
}

/// One operation: a command, or a notification that shares another's reply.
struct RawOperation: Decodable, Sendable {
    var name: String
    var doc: String?
    var value: Int?
    var attributeSet: String?
    var flags: [String]?
    var dontValidate: [String]?
    var configCond: String?
    var `do`: RawSubOperation?
    var dump: RawSubOperation?
    var notify: String?
    var event: RawAttributeList?
    var mcgrp: String?

    enum CodingKeys: String, CodingKey {
        case name, doc, value, flags, `do`, dump, notify, event, mcgrp
        case attributeSet = "attribute-set"
        case dontValidate = "dont-validate"
        case configCond = "config-cond"
    }
}

/// The `do` or `dump` part of an operation.
struct RawSubOperation: Decodable, Sendable {
    var request: RawAttributeList?
    var reply: RawAttributeList?
    var pre: String?
    var post: String?
}

/// A list of attribute names, as requests, replies and events carry.
struct RawAttributeList: Decodable, Sendable {
    var attributes: [String]?
}

/// The `mcast-groups` mapping.
struct RawMulticastGroups: Decodable, Sendable {
    var list: [RawMulticastGroup]
}

/// One multicast group.
struct RawMulticastGroup: Decodable, Sendable {
    var name: String
    var flags: [String]?
}
