import Foundation

/// The binary interface between `subdevd` and a plugin shipped as a shared
/// library: three C functions, and JSON messages through them.
///
/// A C interface and JSON keep the two sides independent: the plugin and
/// the host each carry their own copy of this module, may be built by
/// different compilers, and a plugin may be written in any language.
///
/// - `uint32_t subdev_plugin_abi_version(void)`: must return `version`;
///   the host refuses any other before calling anything else.
/// - `char *subdev_plugin_call(const char *request)`: a `PluginRequest` as
///   JSON in, a `PluginResponse` as JSON out, allocated by the plugin.
/// - `void subdev_plugin_free(char *response)`: frees a response.
public enum PluginABI {
    /// The version of this interface. Bumped on any incompatible change.
    public static let version: UInt32 = 1

    public static let versionSymbol = "subdev_plugin_abi_version"
    public static let callSymbol = "subdev_plugin_call"
    public static let freeSymbol = "subdev_plugin_free"
}

/// A call from the host to a plugin.
public enum PluginRequest: Sendable, Codable {
    case driver
    case describe(hardware: HardwareConfig)
    case allocate(type: TypeSpec, params: [String: ParamValue], parent: ParentState)
    case reallocate(instance: InstanceState, type: TypeSpec, params: [String: ParamValue], parent: ParentState)
    case available(type: TypeSpec, parent: ParentState)
    case reset(instance: InstanceState, parent: ParentState)
    case destroy(instance: InstanceState, parent: ParentState)
    /// Added within version 1: a plugin built before it answers with an
    /// error, and the host then applies `MigrationRules.standard`.
    case migrationProblems(source: MigrationSide, destination: MigrationSide, type: TypeSpec)
}

/// A plugin's answer.
public enum PluginResponse: Sendable, Codable {
    case driver(String)
    case parent(ParentSpec)
    case allocation(Allocation)
    case available(UInt32?)
    case problems([String])
    case done
    case pluginError(PluginError)
    case configError(ConfigError)
}

/// The plugin side of the interface: a plugin library exports the three
/// symbols and hands them to these functions.
///
/// ```swift
/// @_cdecl("subdev_plugin_abi_version")
/// public func abiVersion() -> UInt32 { PluginABI.version }
/// @_cdecl("subdev_plugin_call")
/// public func call(_ request: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? {
///     PluginExport.call(MyPlugin(), request)
/// }
/// @_cdecl("subdev_plugin_free")
/// public func release(_ response: UnsafeMutablePointer<CChar>?) { PluginExport.free(response) }
/// ```
public enum PluginExport {
    /// Decodes a request, runs it on `plugin`, encodes the answer.
    public static func call(_ plugin: some DevicePlugin, _ request: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? {
        let response: PluginResponse
        do {
            let decoded = try JSONDecoder().decode(PluginRequest.self, from: Data(String(cString: request).utf8))
            response = handle(plugin, decoded)
        } catch {
            response = .pluginError(.invalid("plugin could not read the request: \(error)"))
        }
        let data = (try? JSONEncoder().encode(response)) ?? Data(#"{"pluginError":{"_0":{"errno":5,"message":"plugin could not encode its answer"}}}"#.utf8)
        return strdup(String(decoding: data, as: UTF8.self))
    }

    /// Frees what `call` returned.
    public static func free(_ response: UnsafeMutablePointer<CChar>?) {
        Foundation.free(response)
    }

    /// Runs one request on `plugin`; errors become answers.
    public static func handle(_ plugin: some DevicePlugin, _ request: PluginRequest) -> PluginResponse {
        do {
            switch request {
            case .driver:
                return .driver(plugin.driver)
            case .describe(let hardware):
                return .parent(try plugin.describe(hardware))
            case .allocate(let type, let params, let parent):
                return .allocation(try plugin.allocate(type: type, params: params, in: parent))
            case .reallocate(let instance, let type, let params, let parent):
                return .allocation(try plugin.reallocate(instance, type: type, params: params, in: parent))
            case .available(let type, let parent):
                return .available(plugin.available(type: type, in: parent))
            case .reset(let instance, let parent):
                try plugin.reset(instance, in: parent)
                return .done
            case .destroy(let instance, let parent):
                plugin.destroy(instance, in: parent)
                return .done
            case .migrationProblems(let source, let destination, let type):
                return .problems(plugin.migrationProblems(from: source, to: destination, type: type))
            }
        } catch let error as PluginError {
            return .pluginError(error)
        } catch let error as ConfigError {
            return .configError(error)
        } catch {
            return .pluginError(.deviceFailed("plugin \(plugin.driver) failed: \(error)"))
        }
    }
}
