import ArgumentParser
import Foundation
import Subdev
#if canImport(Glibc)
import Glibc
#endif

/// `subdev inventory`: what this host can carve now, for a scheduler.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Print what each parent can still carve: counters, types and their cost, and a generation.",
        discussion: """
        With -j, a Kubernetes DRA ResourceSliceList (resource.k8s.io/v1): one pool per \
        parent, whose generation is the parent's and moves on every change of its \
        capacity; a slice of shared counters holding what is free now; and slices of \
        devices, one per subdevice of each type that fits now with default parameters \
        (64 to a slice), each consuming its counters, with the type's facts as typed \
        attributes.
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("One parent, BUS/NAME; all when omitted.", valueName: "parent"))
    var parent: String?

    @Option(name: .long, help: ArgumentHelp("Node name for the slices (default: this host's name).", valueName: "name"))
    var node: String?

    @Option(name: .long, help: ArgumentHelp("DRA driver name for the slices.", valueName: "name"))
    var driver = "subdev.kernel.org"

    func run() async throws {
        try await reportingErrors {
            let client = try await global.connect()
            let only = try parent.map(parseParent)
            let parents = if let only { [try await client.parent(only)] } else { try await client.parents() }
            let types = try await client.types(of: only)
            if global.json {
                let inventory = ResourceSlices(driver: driver, node: node ?? Self.hostName(), parents: parents, types: types)
                global.output.printJSON(inventory.list())
            } else {
                global.output.printLines(parents.flatMap { parent in
                    Self.text(parent, types: types.filter { $0.parent == parent.handle })
                })
            }
        }
    }

    static func text(_ parent: ParentInfo, types: [TypeInfo]) -> [String] {
        var lines = ["\(parent.handle): generation \(parent.generation ?? 0)"]
        for counter in parent.counters {
            lines.append("  counter \(counter.name) free \(counter.total - min(counter.reserved, counter.total)) of \(counter.total)")
        }
        for type in types {
            var line = "  type \(type.name) available \(type.available)"
            if !type.instanceCost.isEmpty {
                line += " cost " + type.instanceCost.map { "\($0.name) \($0.reserved)" }.joined(separator: " ")
            }
            lines.append(line)
        }
        return lines
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The host's parents as DRA ResourceSlices: names made valid for the
/// API (DNS labels for slices, pools' segments, counters and devices; C
/// identifiers for attributes), values typed as DRA types them.
struct ResourceSlices {
    static let apiVersion = "resource.k8s.io/v1"
    /// DRA's limit on devices in one slice when they consume counters.
    static let devicesPerSlice = 64

    let driver: String
    let node: String
    let parents: [ParentInfo]
    let types: [TypeInfo]

    func list() -> JSONObject {
        ["apiVersion": Self.apiVersion, "kind": "ResourceSliceList", "metadata": JSONObject(),
         "items": parents.flatMap(slices)]
    }

    func slices(of parent: ParentInfo) -> [JSONObject] {
        let counterSet = Self.label(parent.handle.description)
        let devices = types.filter { $0.parent == parent.handle }.flatMap { type in
            (0..<Int(type.available)).map { device(type, number: $0, parent: parent, counterSet: counterSet) }
        }
        let chunks = stride(from: 0, to: devices.count, by: Self.devicesPerSlice).map {
            Array(devices[$0..<min($0 + Self.devicesPerSlice, devices.count)])
        }
        let pool: JSONObject = [
            "name": "\(parent.handle.bus)/\(parent.handle.name.replacingOccurrences(of: ":", with: "-"))",
            "generation": parent.generation ?? 0, "resourceSliceCount": 1 + chunks.count,
        ]
        func slice(_ suffix: String, _ key: String, _ content: JSONValue) -> JSONObject {
            ["apiVersion": Self.apiVersion, "kind": "ResourceSlice",
             "metadata": ["name": Self.label("\(node)-\(parent.handle)-\(suffix)")] as JSONObject,
             "spec": ["driver": driver, "nodeName": node, "pool": pool, key: content] as JSONObject]
        }
        let free = JSONObject(parent.counters.map {
            ($0.name, (["value": String($0.total - min($0.reserved, $0.total))] as JSONObject).json)
        })
        return [slice("counters", "sharedCounters", [["name": counterSet, "counters": free] as JSONObject].json)]
            + chunks.enumerated().map { slice("devices-\($0.offset)", "devices", $0.element.json) }
    }

    func device(_ type: TypeInfo, number: Int, parent: ParentInfo, counterSet: String) -> JSONObject {
        var attributes: JSONObject = [
            "parent": ["string": parent.handle.description], "vendor": ["string": parent.vendor],
            "driver": ["string": parent.driver], "type": ["string": type.name],
            "deviceApi": ["string": type.deviceAPI], "migratable": ["bool": type.migratable],
        ]
        if let typeClass = type.typeClass { attributes["class"] = ["string": typeClass.name] }
        if let display = type.display { attributes["display"] = ["string": display.name] }
        if let registration = type.registration { attributes["registration"] = ["string": registration.name] }
        if let compat = type.migrationCompat { attributes["migrationCompat"] = ["string": compat] }
        for fact in type.capabilities {
            attributes[Self.identifier(fact.name)] = Self.attribute(fact)
        }
        var object: JSONObject = ["name": Self.label("\(type.name)-\(number)"), "attributes": attributes]
        if !type.instanceCost.isEmpty {
            let value = { (cost: CounterInfo) in (["value": String(cost.reserved)] as JSONObject).json }
            object["capacity"] = JSONObject(type.instanceCost.map { (Self.identifier($0.name), value($0)) })
            object["consumesCounters"] = [[
                "counterSet": counterSet,
                "counters": JSONObject(type.instanceCost.map { ($0.name, value($0)) }),
            ] as JSONObject]
        }
        return object
    }

    /// A fact as a DRA device attribute: int, bool or string.
    static func attribute(_ fact: FactInfo) -> JSONObject {
        switch fact.value {
        case .int(let number) where fact.kind == .bool: return ["bool": number != 0]
        case .int(let number) where number <= UInt64(Int64.max): return ["int": Int64(number)]
        case .int(let number): return ["string": String(number)]
        case .string(let text): return ["string": text]
        }
    }

    /// `text` as a DNS label: lower case, runs of other characters as one
    /// `-`, trimmed of `-`, at most 63 characters.
    static func label(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        let trimmed = result.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return String(trimmed.prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    /// `fb-bytes` as `fbBytes`: an attribute name must be a C identifier.
    static func identifier(_ name: String) -> String {
        var result = ""
        var upper = false
        for character in name {
            if character.isASCII, character.isLetter || character.isNumber {
                result.append(upper ? Character(character.uppercased()) : character)
                upper = false
            } else {
                upper = !result.isEmpty
            }
        }
        if let first = result.first, first.isNumber { result = "x" + result }
        return String(result.prefix(32))
    }
}
