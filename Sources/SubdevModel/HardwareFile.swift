import Foundation
import SubdevPlugin
import Yams

/// Reads a hardware description (YAML) into parents driven by plugins.
///
/// ```yaml
/// parents:
///   - bus: pci
///     name: "0000:6a:01.0"
///     driver: idxd            # the plugin
///     iommu-group: 14
///     vendor: ...             # optional: overrides the plugin's
///     reserved-iova:          # optional; default: the x86 MSI window
///       - { start: 0xfee00000, end: 0xfeefffff, kind: msi }
///     present: true           # optional; false: an empty slot a hotplug add fills
///     config: {...}           # the plugin's own fields
/// ```
///
/// Every error names the line and the field: `line 7:
/// parents[1].config.framebuffer: expected a size such as 48GiB, got 'lots'`.
public enum HardwareFile {
    /// The machine `subdevd` serves with no `--hardware`: a DSA-like
    /// accelerator, a GPU and a virtual serial card.
    public static func embeddedDefault() throws -> String {
        guard let url = Bundle.module.url(forResource: "default-machine", withExtension: "yaml") else {
            throw ConfigError(line: 0, path: "default-machine.yaml", message: "the embedded default machine is missing from the bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Builds the machine a description describes.
    ///
    /// - Throws: `ConfigError` naming the line and field at fault.
    public static func load(_ text: String, plugins: PluginRegistry) throws -> Machine {
        let root = try parse(text)
        try root.allowOnly(["parents"])
        var parents: [Parent] = []
        var slots: [Parent] = []
        // Parents described alike (a rack of one card) share one spec, so
        // that finding a type on any of them reads the same warm memory
        // rather than a copy of its own gone cold since its last request.
        var specs: [ParentSpec: ParentSpec] = [:]
        for node in try root.require("parents").items() {
            try node.allowOnly(["bus", "name", "driver", "iommu-group", "vendor", "reserved-iova", "present", "config"])
            let bus = try node.string("bus")
            let name = try node.string("name")
            for (field, value) in [("bus", bus), ("name", name)] where value.isEmpty || value.contains("/") || value.utf8.count > 63 {
                throw try node.require(field).error("\(field) must be 1 to 63 bytes without /")
            }
            let driverNode = try node.require("driver")
            let driver = try driverNode.text()
            guard let plugin = plugins.plugin(for: driver) else {
                throw driverNode.error("no plugin for driver \(driver) (loaded: \(plugins.drivers.joined(separator: ", ")))")
            }
            if (parents + slots).contains(where: { $0.bus == bus && $0.name == name }) {
                throw try node.require("name").error("parent \(bus)/\(name) is described twice")
            }
            let config = try node.child("config") ?? HardwareConfig(.map([]), path: "\(node.path).config", line: node.line)
            var spec: ParentSpec
            do {
                spec = try plugin.describe(config)
            } catch let error as PluginError {
                throw config.error(error.message)
            }
            if let vendor = try node.child("vendor") { spec.vendor = try vendor.text() }
            if let same = specs[spec] { spec = same } else { specs[spec] = spec }
            var reserved = [IOVARange.x86MSIWindow]
            if let ranges = try node.child("reserved-iova") {
                reserved = try ranges.items().map { range in
                    try range.allowOnly(["start", "end", "kind"])
                    let start = try range.integer("start")
                    let end = try range.integer("end")
                    guard end >= start else { throw try range.require("end").error("end \(end) is below start \(start)") }
                    return IOVARange(start: start, end: end, kind: try range.choice("kind", ["msi", "direct", "reserved"], default: "reserved"))
                }
            }
            let parent = Parent(bus: bus, name: name,
                                iommuGroup: UInt32(try node.integer("iommu-group", in: 0...UInt64(UInt32.max), default: 0)),
                                plugin: plugin, hardware: config, spec: spec, reservedIOVA: reserved)
            if try node.boolean("present", default: true) {
                parents.append(parent)
            } else {
                slots.append(parent)
            }
        }
        return Machine(parents: parents, slots: slots)
    }

    /// Parses YAML into a `HardwareConfig` tree that remembers lines and paths.
    static func parse(_ text: String) throws -> HardwareConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(line: Self.line(of: error), path: "", message: "not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError(line: 1, path: "", message: "the description is empty") }
        return convert(node, path: "")
    }

    static func convert(_ node: Node, path: String) -> HardwareConfig {
        let line = node.mark.map { $0.line } ?? 0
        switch node {
        case .scalar(let scalar):
            return HardwareConfig(.scalar(scalar.string), path: path, line: line)
        case .sequence(let sequence):
            return HardwareConfig(.list(sequence.enumerated().map { convert($1, path: "\(path)[\($0)]") }), path: path, line: line)
        case .mapping(let mapping):
            return HardwareConfig(.map(mapping.map { key, value in
                let name = key.string ?? "?"
                return HardwareConfig.Entry(key: name, value: convert(value, path: path.isEmpty ? name : "\(path).\(name)"))
            }), path: path, line: line)
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return 0
        }
    }
}
