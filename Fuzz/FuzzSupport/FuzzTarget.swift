import CFuzzDriver
import Foundation

/// The entry point of a fuzz target: built with `-DFUZZING` (and
/// `-sanitize=fuzzer`), libFuzzer's driver runs `run` on each input; built
/// plainly, `CorpusFiles` replays files or writes the seed corpus.
public enum FuzzTarget {
    /// The one target of this process: libFuzzer calls back through a C
    /// function pointer, which cannot capture it. Set once, before the
    /// driver starts; libFuzzer calls from one thread.
    nonisolated(unsafe) static var current: (([UInt8]) -> Void)?

    public static func main(tool: String, replayed: String, run: @escaping ([UInt8]) -> Void,
                            seeds: () -> [(name: String, bytes: [UInt8])]) -> Never {
        #if FUZZING
        current = run
        // libFuzzer's flags (-max_total_time=...) and corpus directories.
        let status = subdev_fuzz_run_driver(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
            FuzzTarget.current?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        }
        exit(status)
        #else
        CorpusFiles.main(tool: tool, arguments: Array(CommandLine.arguments.dropFirst()), replayed: replayed, run: run, seeds: seeds)
        exit(0)
        #endif
    }
}
