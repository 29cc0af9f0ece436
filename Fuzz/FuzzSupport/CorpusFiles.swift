import Foundation

/// What the plain (non-libFuzzer) build of a fuzz target does with its
/// arguments: replay corpus files, or write its seed corpus.
public enum CorpusFiles {
    /// `--write-seeds DIR` writes what `seeds` makes into DIR; otherwise every file
    /// named, and every file in every directory named, goes to `run` in
    /// name order. Prints what it did as `tool: ...`, or exits 1 naming
    /// the path at fault.
    public static func main(tool: String, arguments: [String], replayed: String,
                            run: ([UInt8]) -> Void, seeds makeSeeds: () -> [(name: String, bytes: [UInt8])]) {
        if arguments.first == "--write-seeds", arguments.count == 2 {
            let seeds = makeSeeds()
            for (name, bytes) in seeds where !FileManager.default.createFile(atPath: "\(arguments[1])/\(name)", contents: Data(bytes)) {
                fail("\(tool): cannot write \(arguments[1])/\(name)")
            }
            print("\(tool): wrote \(seeds.count) seeds to \(arguments[1])")
            return
        }
        var count = 0
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                fail("\(tool): \(argument) does not exist")
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { "\(argument)/\($0)" }
                : [argument]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                run(Array(data))
                count += 1
            }
        }
        print("\(tool): replayed \(count) inputs, \(replayed)")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
}
