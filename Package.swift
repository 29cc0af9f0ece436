// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "subdev",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "subdevd", targets: ["subdevd"]),
        .executable(name: "subdev", targets: ["subdev"]),
        .executable(name: "subdev-codegen", targets: ["subdev-codegen"]),
        .executable(name: "subdev-bench", targets: ["subdev-bench"]),
        .library(name: "Subdev", targets: ["Subdev"]),
        .library(name: "SubdevPlugin", targets: ["SubdevPlugin"]),
        .library(name: "SubdevVMM", targets: ["SubdevVMM"]),
        .library(name: "SubdevDefinitions", targets: ["SubdevDefinitions"]),
        .executable(name: "subdev-vmm-example", targets: ["subdev-vmm-example"]),
        // A vendor plugin built as a shared library of its own, as a vendor
        // ships one; subdevd loads it with --plugin-dir.
        .library(name: "SampleSubdevPlugin", type: .dynamic, targets: ["SampleSubdevPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // libnl-3 and libnl-genl-3, found through pkg-config.
        .systemLibrary(
            name: "CLibNL",
            pkgConfig: "libnl-genl-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-genl-3-dev"])]
        ),
        // The few system calls Swift cannot make itself: pidfd_open,
        // SO_PEERCRED, Unix socket listeners, sendmmsg.
        .target(name: "CSystemCalls"),
        // Netlink and generic netlink on libnl: sockets, messages, attributes,
        // policies, errors with extended ACK, nlctrl resolution.
        .target(name: "Netlink", dependencies: ["CLibNL", "CSystemCalls"]),
        // The plugin SDK: what a vendor implements, and the C/JSON interface
        // of plugins shipped as shared libraries.
        .target(name: "SubdevPlugin"),
        // The plugins that ship with subdevd: idxd, vgpu, mtty.
        .target(name: "SubdevPlugins", dependencies: ["SubdevPlugin"]),
        .target(name: "SampleSubdevPlugin", dependencies: ["SubdevPlugin"], path: "Examples/SamplePlugin"),
        // Generated from Specs/subdev.yaml by subdev-codegen: do not edit.
        .target(name: "SubdevUAPI", dependencies: ["Netlink"]),
        // The kernel model: the subdev family served over real netlink sockets.
        .target(
            name: "SubdevModel",
            dependencies: ["Netlink", "SubdevUAPI", "SubdevPlugin", "SubdevPlugins", "CSystemCalls",
                           .product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/default-machine.yaml")]
        ),
        // The typed async client library.
        .target(name: "Subdev", dependencies: ["Netlink", "SubdevUAPI"]),
        // The VMM SDK: hold subdevices through their device nodes, receive
        // their events, answer them.
        // Persistent definitions (subdev dev define) and the autostart agent.
        .target(name: "SubdevDefinitions", dependencies: ["Subdev", "Netlink", "SubdevUAPI"]),
        .target(name: "SubdevVMM", dependencies: ["Subdev", "Netlink", "SubdevUAPI", "CSystemCalls"]),
        // An example VMM on the SDK, which the tests drive through every event flow.
        .executableTarget(
            name: "subdev-vmm-example",
            dependencies: ["SubdevVMM", "Subdev", "SubdevUAPI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/ExampleVMM"
        ),
        // The model's request path under libFuzzer (-DFUZZING -sanitize=fuzzer);
        // built plainly, it replays a corpus (Docs/reliability.md).
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "subdev-fuzz", dependencies: ["SubdevModel", "Netlink", "SubdevUAPI", "FuzzSupport"],
                          path: "Fuzz/ModelRequests"),
        // The client's reply and event decoding under libFuzzer, over a real
        // socket to a fake family that answers with the fuzzer's bytes.
        .executableTarget(name: "subdev-fuzz-client", dependencies: ["Subdev", "SubdevModel", "Netlink", "SubdevUAPI", "FuzzSupport"],
                          path: "Fuzz/ClientReplies"),
        // A client process of the reliability tests: random operations from
        // a seed, with a log of what was acknowledged (Docs/reliability.md).
        .executableTarget(name: "subdev-stress", dependencies: [
            "Subdev", "SubdevVMM", "Netlink", "SubdevUAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/subdev-stress"),
        // The performance suite: figures beside the floor of the same run.
        .executableTarget(name: "subdev-bench", dependencies: [
            "Subdev", "Netlink",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/SubdevBench"),
        .executableTarget(name: "subdevd", dependencies: [
            "SubdevModel", "CSystemCalls", "SubdevDefinitions", "Subdev",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "subdev", dependencies: [
            "Subdev", "SubdevDefinitions",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The generator: spec → Swift uAPI, C uAPI header, uAPI reference.
        .target(
            name: "SubdevCodegen",
            dependencies: [.product(name: "Yams", package: "Yams")],
            path: "Tools/SubdevCodegen"
        ),
        .executableTarget(
            name: "subdev-codegen",
            dependencies: ["SubdevCodegen"],
            path: "Tools/subdev-codegen"
        ),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "CodegenTests", dependencies: ["SubdevCodegen", "SubdevUAPI", "Netlink"]),
        .testTarget(name: "SubdevModelTests", dependencies: ["SubdevModel", "SubdevPlugin", "SubdevPlugins", "SubdevUAPI", "Netlink"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Subdev", "SubdevVMM", "SubdevModel", "SubdevDefinitions", "Netlink", "SubdevUAPI"]),
        .testTarget(name: "DefinitionsTests", dependencies: ["SubdevDefinitions", "Subdev", "SubdevUAPI"]),
        // The CLI's own parts, such as its JSON writer; its commands are
        // tested end to end by IntegrationTests.
        .testTarget(name: "CLITests", dependencies: ["subdev"]),
    ],
    swiftLanguageModes: [.v6]
)
