// The generator's entry points: parse a spec, render every output, and
// compare or write the outputs under a package root.

import Foundation
import Yams

/// One output of the generator.
public struct GeneratedFile: Sendable, Equatable {
    /// Path relative to the package root, such as `Docs/uapi.md`.
    public var path: String
    /// The whole text of the file.
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// Where the spec lives, relative to the package root.
public let defaultSpecPath = "Specs/subdev.yaml"

/// Decodes and resolves a spec.
public func parseSpec(yaml: String) throws(CodegenError) -> Family {
    let raw: RawSpec
    do {
        raw = try YAMLDecoder().decode(RawSpec.self, from: yaml)
    } catch let error as DecodingError {
        throw describe(error)
    } catch {
        throw CodegenError(.malformed, "", "the spec is not valid YAML: \(error)")
    }
    return try Resolver.resolve(raw)
}

/// Renders the Swift uAPI, the C uAPI header and the uAPI reference from a
/// spec. `specPath` is only quoted in the files' headers.
public func generateAll(specYAML: String, specPath: String = defaultSpecPath) throws(CodegenError) -> [GeneratedFile] {
    let family = try parseSpec(yaml: specYAML)
    let swift = SwiftRenderer(family: family, specPath: specPath)
    let header = CHeaderRenderer(family: family, specPath: specPath)
    let docs = DocsRenderer(family: family, specPath: specPath, headerPath: header.path)
    return [
        GeneratedFile(path: swift.path, contents: try swift.render()),
        GeneratedFile(path: header.path, contents: try header.render()),
        GeneratedFile(path: docs.path, contents: docs.render()),
    ]
}

/// Reads the spec at `specPath` under `root` and renders every output.
public func generateAll(root: URL, specPath: String = defaultSpecPath) throws(CodegenError) -> [GeneratedFile] {
    let url = root.appendingPathComponent(specPath)
    let text: String
    do {
        text = try String(contentsOf: url, encoding: .utf8)
    } catch {
        throw CodegenError(.io, specPath, "cannot read the spec at \(url.path): \(error.localizedDescription)")
    }
    return try generateAll(specYAML: text, specPath: specPath)
}

/// The paths of the files whose copy under `root` is missing or differs.
public func staleFiles(_ files: [GeneratedFile], root: URL) -> [String] {
    files.filter { file in
        let url = root.appendingPathComponent(file.path)
        return (try? String(contentsOf: url, encoding: .utf8)) != file.contents
    }.map(\.path)
}

/// Writes the files that are stale under `root`, creating directories as
/// needed, and returns their paths; up-to-date files are left untouched.
@discardableResult
public func writeFiles(_ files: [GeneratedFile], root: URL) throws(CodegenError) -> [String] {
    let stale = Set(staleFiles(files, root: root))
    var written: [String] = []
    for file in files where stale.contains(file.path) {
        let url = root.appendingPathComponent(file.path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url, options: .atomic)
        } catch {
            throw CodegenError(.io, file.path, "cannot write \(url.path): \(error.localizedDescription)")
        }
        written.append(file.path)
    }
    return written
}

/// A decoding error as a CodegenError naming where in the spec it is.
private func describe(_ error: DecodingError) -> CodegenError {
    func location(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }
    switch error {
    case .keyNotFound(let key, let context):
        return CodegenError(.malformed, location(context.codingPath), "'\(key.stringValue)' is missing")
    case .typeMismatch(let type, let context):
        return CodegenError(.malformed, location(context.codingPath), "expected \(shape(of: type)): \(context.debugDescription)")
    case .valueNotFound(let type, let context):
        return CodegenError(.malformed, location(context.codingPath), "expected \(shape(of: type)), found nothing")
    case .dataCorrupted(let context):
        return CodegenError(.malformed, location(context.codingPath), context.debugDescription)
    @unknown default:
        return CodegenError(.malformed, "", "the spec cannot be decoded: \(error)")
    }
}

private func shape(of type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type: return "an integer"
    case is Bool.Type: return "a boolean"
    default: return "\(type)"
    }
}
