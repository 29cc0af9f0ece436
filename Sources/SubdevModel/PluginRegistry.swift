import SubdevPlugin
import SubdevPlugins

/// The plugins `subdevd` knows, by driver name: those built in, and those
/// loaded from a plugin directory.
public struct PluginRegistry: Sendable {
    private var plugins: [String: any DevicePlugin] = [:]

    /// The built-in plugins: idxd, vgpu, mtty.
    public static var builtIn: PluginRegistry {
        var registry = PluginRegistry()
        for plugin: any DevicePlugin in [IdxdPlugin(), VgpuPlugin(), MttyPlugin()] {
            registry.plugins[plugin.driver] = plugin
        }
        return registry
    }

    public init() {}

    public func plugin(for driver: String) -> (any DevicePlugin)? { plugins[driver] }

    /// Driver names, sorted.
    public var drivers: [String] { plugins.keys.sorted() }

    /// Adds a plugin; a driver name already taken is refused.
    public mutating func register(_ plugin: any DevicePlugin, from origin: String) throws {
        if plugins[plugin.driver] != nil {
            throw PluginLoadError("\(origin) provides driver \(plugin.driver), which another plugin already provides")
        }
        plugins[plugin.driver] = plugin
    }
}

/// A plugin library that cannot be used, and why.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
