// subdev-codegen: renders the Swift uAPI, the C uAPI header and the uAPI
// reference from Specs/subdev.yaml.
//
//   swift run subdev-codegen [--root DIR] [--check]

import Foundation
import SubdevCodegen

let usage = """
    usage: subdev-codegen [--root DIR] [--check]

    Renders, from DIR/\(defaultSpecPath) (DIR defaults to the current directory):
      Sources/SubdevUAPI/SubdevUAPI.generated.swift
      include/uapi/linux/subdev.h
      Docs/uapi.md

    options:
      --root DIR   the package root
      --check      write nothing; list the stale files and exit 1 if there are any
      -h, --help   show this help
    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("subdev-codegen: \(message)\n".utf8))
    exit(status)
}

var root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
var check = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--root":
        guard let directory = arguments.popFirst() else { fail("--root needs a directory\n\(usage)") }
        root = URL(fileURLWithPath: directory, isDirectory: true)
    case "--check":
        check = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        fail("unknown argument '\(argument)'\n\(usage)")
    }
}

do {
    let files = try generateAll(root: root)
    if check {
        let stale = staleFiles(files, root: root)
        if stale.isEmpty {
            print("up to date: \(files.map(\.path).joined(separator: ", "))")
        } else {
            for path in stale {
                print("stale: \(path)")
            }
            fail("\(stale.count) generated file(s) are stale; run `swift run subdev-codegen`", status: 1)
        }
    } else {
        let written = try writeFiles(files, root: root)
        for file in files {
            print("\(written.contains(file.path) ? "wrote" : "unchanged"): \(file.path)")
        }
    }
} catch {
    fail("error: \(error)", status: 1)
}
