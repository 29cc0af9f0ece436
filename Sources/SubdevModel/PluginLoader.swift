import Foundation
import SubdevPlugin
#if canImport(Glibc)
import Glibc
#endif

/// Loads vendor plugins shipped as shared libraries (`*.so`) from a
/// directory, through the C interface `PluginABI` describes.
public enum PluginLoader {
    /// Loads every `*.so` in `directory`, in name order, into `registry`.
    ///
    /// - Throws: `PluginLoadError` naming the library and what is wrong:
    ///   not loadable, not a subdev plugin, another ABI version, or a
    ///   driver name already taken.
    public static func loadDirectory(_ directory: String, into registry: inout PluginRegistry) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            let reason = String(cString: strerror(access(directory, R_OK) == 0 ? ENOTDIR : errno))
            throw PluginLoadError("plugin directory \(directory) cannot be read: \(reason)")
        }
        for name in names.sorted() where name.hasSuffix(".so") {
            let path = (directory as NSString).appendingPathComponent(name)
            try registry.register(try load(path), from: path)
        }
    }

    /// Loads one plugin library.
    public static func load(_ path: String) throws -> LoadedPlugin {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginLoadError("plugin \(path) cannot be loaded: \(String(cString: dlerror()))")
        }
        guard let versionSymbol = dlsym(handle, PluginABI.versionSymbol) else {
            dlclose(handle)
            throw PluginLoadError("\(path) is not a subdev plugin: it has no \(PluginABI.versionSymbol)")
        }
        let version = unsafeBitCast(versionSymbol, to: (@convention(c) () -> UInt32).self)()
        guard version == PluginABI.version else {
            dlclose(handle)
            throw PluginLoadError("plugin \(path) speaks plugin ABI \(version), but this subdevd speaks \(PluginABI.version): rebuild it against this SubdevPlugin")
        }
        guard let call = dlsym(handle, PluginABI.callSymbol), let free = dlsym(handle, PluginABI.freeSymbol) else {
            dlclose(handle)
            throw PluginLoadError("plugin \(path) lacks \(PluginABI.callSymbol) or \(PluginABI.freeSymbol)")
        }
        let plugin = LoadedPlugin(path: path,
                                  call: unsafeBitCast(call, to: LoadedPlugin.Call.self),
                                  free: unsafeBitCast(free, to: LoadedPlugin.Free.self))
        let answer: PluginResponse
        do {
            answer = try plugin.send(.driver)
        } catch {
            throw PluginLoadError("plugin \(path) failed to say which driver it is: \(error)")
        }
        guard case .driver(let driver) = answer, !driver.isEmpty else {
            throw PluginLoadError("plugin \(path) did not say which driver it is")
        }
        return LoadedPlugin(path: path, call: plugin.call, free: plugin.free, driver: driver)
    }
}

/// A plugin in a shared library, called through JSON over its C functions.
/// The library stays loaded for the life of the process.
public struct LoadedPlugin: DevicePlugin, @unchecked Sendable {
    typealias Call = @convention(c) (UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>?
    typealias Free = @convention(c) (UnsafeMutablePointer<CChar>?) -> Void

    public let path: String
    let call: Call
    let free: Free
    public let driver: String

    init(path: String, call: Call, free: Free, driver: String = "") {
        self.path = path
        self.call = call
        self.free = free
        self.driver = driver
    }

    /// Sends one request and decodes the answer; plugin errors are thrown.
    func send(_ request: PluginRequest) throws -> PluginResponse {
        let json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        guard let reply = json.withCString({ call($0) }) else {
            throw PluginError.deviceFailed("plugin \(path) returned no answer")
        }
        defer { free(reply) }
        let response: PluginResponse
        do {
            response = try JSONDecoder().decode(PluginResponse.self, from: Data(String(cString: reply).utf8))
        } catch {
            throw PluginError.deviceFailed("plugin \(path) answered with something that is not a PluginResponse: \(error)")
        }
        switch response {
        case .pluginError(let error): throw error
        case .configError(let error): throw error
        default: return response
        }
    }

    public func describe(_ hardware: HardwareConfig) throws -> ParentSpec {
        guard case .parent(let spec) = try send(.describe(hardware: hardware)) else { throw unexpected("describe") }
        return spec
    }

    public func allocate(type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        guard case .allocation(let plan) = try send(.allocate(type: type, params: params, parent: parent)) else { throw unexpected("allocate") }
        return plan
    }

    public func reallocate(_ instance: InstanceState, type: TypeSpec, params: [String: ParamValue], in parent: ParentState) throws -> Allocation {
        guard case .allocation(let plan) = try send(.reallocate(instance: instance, type: type, params: params, parent: parent)) else {
            throw unexpected("reallocate")
        }
        return plan
    }

    public func available(type: TypeSpec, in parent: ParentState) -> UInt32? {
        guard case .available(let count)? = try? send(.available(type: type, parent: parent)) else { return nil }
        return count
    }

    public func reset(_ instance: InstanceState, in parent: ParentState) throws {
        _ = try send(.reset(instance: instance, parent: parent))
    }

    public func destroy(_ instance: InstanceState, in parent: ParentState) {
        _ = try? send(.destroy(instance: instance, parent: parent))
    }

    public func migrationProblems(from source: MigrationSide, to destination: MigrationSide, type: TypeSpec) -> [String] {
        // A plugin built before this call existed cannot read it.
        guard case .problems(let problems)? = try? send(.migrationProblems(source: source, destination: destination, type: type)) else {
            return MigrationRules.standard(from: source, to: destination, type: type)
        }
        return problems
    }

    func unexpected(_ call: String) -> PluginError {
        PluginError.deviceFailed("plugin \(path) answered \(call) with the wrong kind of answer")
    }
}
