import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The definitions in a configuration directory: `DIR/definitions/NAME.json`,
/// one file each, written atomically (a temporary file, fsync, rename,
/// fsync of the directory), so a crash leaves the old file or the new one.
///
/// Not synchronised between processes beyond that: two writers of one
/// name leave the last one's file.
public struct DefinitionStore: Sendable {
    /// `/etc/subdev`, as `/etc/mdevctl.d` is mdevctl's.
    public static let defaultConfigDirectory = "/etc/subdev"
    /// Names the configuration directory when no option does.
    public static let environmentVariable = "SUBDEV_CONFIG_DIR"

    /// The configuration directory.
    public let configDirectory: String
    /// Where the definition files are.
    public var directory: String { configDirectory + "/definitions" }

    public init(configDirectory: String) {
        self.configDirectory = configDirectory
    }

    /// The directory an option gives, else `$SUBDEV_CONFIG_DIR`, else `/etc/subdev`.
    public static func resolve(_ option: String?) -> DefinitionStore {
        DefinitionStore(configDirectory: option ?? ProcessInfo.processInfo.environment[environmentVariable] ?? defaultConfigDirectory)
    }

    func path(of name: String) -> String { "\(directory)/\(name).json" }

    /// Stores `definition`, replacing one of the same name.
    public func save(_ definition: DeviceDefinition) throws {
        try definition.validate()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DefinitionError("cannot make \(directory): \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(definition) + Data("\n".utf8)
        let final = path(of: definition.name)
        let temporary = "\(directory)/.\(definition.name).json.\(getpid())"
        try write(data, to: temporary)
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DefinitionError("cannot store \(final): \(reason)")
        }
        syncDirectory()
    }

    private func write(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DefinitionError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw DefinitionError("cannot write \(path): \(reason)")
        }
    }

    private func syncDirectory() {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// The definition named `name`.
    public func load(_ name: String) throws -> DeviceDefinition {
        let file = path(of: name)
        guard !name.contains("/"), let data = FileManager.default.contents(atPath: file) else {
            throw DefinitionError("no definition named \(name) in \(directory)")
        }
        return try decode(data, file: file)
    }

    private func decode(_ data: Data, file: String) throws -> DeviceDefinition {
        let definition: DeviceDefinition
        do {
            definition = try JSONDecoder().decode(DeviceDefinition.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw DefinitionError("\(file): no \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw DefinitionError("\(file): \(field.isEmpty ? "" : field + ": ")\(context.debugDescription)")
        } catch {
            throw DefinitionError("\(file): not a definition: \(error)")
        }
        try definition.validate()
        guard (file as NSString).lastPathComponent == "\(definition.name).json" else {
            throw DefinitionError("\(file) holds the definition of \(definition.name); its file must be \(definition.name).json")
        }
        return definition
    }

    /// Removes the definition named `name`.
    public func remove(_ name: String) throws {
        let file = path(of: name)
        guard !name.contains("/"), unlink(file) == 0 else {
            throw DefinitionError(errno == ENOENT || name.contains("/") ? "no definition named \(name) in \(directory)"
                                  : "cannot remove \(file): \(String(cString: strerror(errno)))")
        }
        syncDirectory()
    }

    /// Every definition, by name, and a sentence for each file that is not one.
    public func all() -> (definitions: [DeviceDefinition], problems: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([], []) }
        var definitions: [DeviceDefinition] = []
        var problems: [String] = []
        for file in names.sorted() where file.hasSuffix(".json") && !file.hasPrefix(".") {
            let path = "\(directory)/\(file)"
            do {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw DefinitionError("\(path): cannot be read")
                }
                definitions.append(try decode(data, file: path))
            } catch {
                problems.append("\(error)")
            }
        }
        return (definitions, problems)
    }
}
