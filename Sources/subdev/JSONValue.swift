/// A JSON value as a command builds it for output.
///
/// Typed, so the writer switches over a case where a tree of `Any` made it
/// cast every value at run time (see `JSONWriter`). The family carries no
/// fractions, so there is no floating-point case.
enum JSONValue: Equatable, Sendable {
    case string(String)
    case unsigned(UInt64)
    case signed(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object's members in the order they were added.
///
/// Neither order nor uniqueness is kept here: `JSONWriter` writes the keys
/// in `JSONKeyOrder` and, where a key was added more than once, the value
/// added last, as a dictionary assignment would leave it. So a listing
/// built from what the model sent cannot trap on a repeated handle.
struct JSONObject: Equatable, Sendable {
    private(set) var members: [(key: String, value: JSONValue)] = []

    init() {}

    /// An object of `members`, in their order.
    init(_ members: some Sequence<(String, JSONValue)>) {
        self.members = members.map { (key: $0.0, value: $0.1) }
    }

    var isEmpty: Bool { members.isEmpty }

    mutating func reserveCapacity(_ count: Int) {
        members.reserveCapacity(count)
    }

    /// Sets `key` to `value`; a later setting of the same key wins. Reading
    /// gives the value set last, or nil.
    subscript(key: String) -> (any JSONRepresentable)? {
        get { members.last { $0.key == key }?.value }
        set {
            guard let newValue else { return members.removeAll { $0.key == key } }
            members.append((key, newValue.json))
        }
    }

    static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.elementsEqual(b.members) { $0.key == $1.key && $0.value == $1.value }
    }
}

/// A value with a JSON form: what `JSONObject`'s literals and subscript
/// take, so a command writes `["index": vfio.index]` as it would for a
/// dictionary.
protocol JSONRepresentable {
    var json: JSONValue { get }
}

extension JSONValue: JSONRepresentable {
    var json: JSONValue { self }
}

extension JSONObject: JSONRepresentable, ExpressibleByDictionaryLiteral {
    var json: JSONValue { .object(self) }

    init(dictionaryLiteral elements: (String, any JSONRepresentable)...) {
        members = elements.map { (key: $0.0, value: $0.1.json) }
    }
}

extension String: JSONRepresentable {
    var json: JSONValue { .string(self) }
}

extension Bool: JSONRepresentable {
    var json: JSONValue { .bool(self) }
}

extension UInt64: JSONRepresentable {
    var json: JSONValue { .unsigned(self) }
}

extension UInt32: JSONRepresentable {
    var json: JSONValue { .unsigned(UInt64(self)) }
}

extension UInt16: JSONRepresentable {
    var json: JSONValue { .unsigned(UInt64(self)) }
}

extension UInt8: JSONRepresentable {
    var json: JSONValue { .unsigned(UInt64(self)) }
}

extension Int: JSONRepresentable {
    var json: JSONValue { .signed(Int64(self)) }
}

extension Int64: JSONRepresentable {
    var json: JSONValue { .signed(self) }
}

extension Int32: JSONRepresentable {
    var json: JSONValue { .signed(Int64(self)) }
}

extension Optional: JSONRepresentable where Wrapped: JSONRepresentable {
    /// `null` for nil.
    var json: JSONValue { map { $0.json } ?? .null }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    // A closure, not `\.json`: a key path in a generic context is made
    // at run time on every call.
    var json: JSONValue { .array(map { $0.json }) }
}

extension Dictionary: JSONRepresentable where Key == String, Value: JSONRepresentable {
    /// An object; `JSONWriter` puts its keys in order.
    var json: JSONValue { .object(JSONObject(map { ($0.key, $0.value.json) })) }
}
