// swift-tools-version:6.1
import PackageDescription

// Layout: a pure core (HoptraceCore, HoptraceTUI) and thin edges that touch the
// kernel (HoptraceCapture, HoptraceLab) or the terminal (HoptraceCurses); HoptracePipeline
// wires them into `watch`, and the executable only parses arguments.

/// Release builds of the per-packet targets skip Swift's dynamic exclusivity checks (a call into
/// the runtime at each access to a class's stored state); debug builds, which the tests run,
/// keep them and trap on a violation.
let uncheckedExclusivityInRelease: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "hoptrace",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hoptrace", targets: ["hoptrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The real engines, straight from Debian's -dev packages.
        .systemLibrary(name: "CPcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(
            name: "CNetfilterConntrack",
            providers: [.apt(["libnetfilter-conntrack-dev"])]),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncurses-dev"])]),
        // The one C target: what Swift cannot import (setns, macros, variadics).
        .target(name: "CHoptraceShims"),
        // The benchmark's sendmmsg load generator: its own target, never linked into hoptrace.
        .target(name: "CHoptraceBench"),

        .target(
            name: "HoptraceCore",
            // The checks on the correlator's state were ~7% of the correlator's cost in-process.
            swiftSettings: uncheckedExclusivityInRelease),
        // The process edge every other edge shares: running programs, finding tools, privileges.
        .target(name: "HoptraceSystem", dependencies: ["HoptraceCore", "CHoptraceShims"]),
        .target(
            name: "HoptraceCapture",
            dependencies: ["HoptraceCore", "HoptraceSystem", "CPcap", "CNetfilterConntrack", "CHoptraceShims"],
            // The capture loop's streams and merge, touched for every packet.
            swiftSettings: uncheckedExclusivityInRelease),
        .target(name: "HoptraceLab", dependencies: ["HoptraceCore", "HoptraceSystem"]),
        .target(name: "HoptraceTUI", dependencies: ["HoptraceCore"]),
        .target(name: "HoptraceCurses", dependencies: ["HoptraceTUI", "CNcursesw", "CHoptraceShims"]),
        // What `watch` and `doctor` do (the pipeline, its sinks, the run loop), importable by tests.
        .target(
            name: "HoptracePipeline",
            dependencies: ["HoptraceCore", "HoptraceSystem", "HoptraceCapture", "HoptraceLab", "HoptraceTUI", "HoptraceCurses"],
            // The pipeline's and sinks' state, touched for every packet: ~5 checks a packet (~1% of --json).
            swiftSettings: uncheckedExclusivityInRelease),
        // Argument parsing and wiring only.
        .executableTarget(
            name: "hoptrace",
            dependencies: [
                "HoptracePipeline", "HoptraceCore", "HoptraceCapture", "HoptraceLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Figures, not tests: hoptrace next to tcpdump and conntrack -E on the lab (see README).
        .executableTarget(
            name: "hoptrace-bench",
            dependencies: [
                "HoptraceCore", "HoptraceSystem", "HoptraceCapture", "CHoptraceBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/HoptraceBench"),

        .testTarget(name: "HoptraceCoreTests", dependencies: ["HoptraceCore"]),
        .testTarget(name: "HoptraceLabTests", dependencies: ["HoptraceLab"]),
        .testTarget(name: "HoptraceSystemTests", dependencies: ["HoptraceSystem", "HoptraceCore"]),
        .testTarget(name: "HoptracePipelineTests", dependencies: ["HoptracePipeline", "HoptraceCore", "HoptraceCapture"]),
        .testTarget(name: "HoptraceTUITests", dependencies: ["HoptraceTUI", "HoptraceCore"], exclude: ["Snapshots"]),
        .testTarget(
            name: "HoptraceIntegrationTests",
            dependencies: ["HoptraceCore", "HoptraceSystem", "HoptraceLab", "HoptraceCapture"]),
    ],
    swiftLanguageModes: [.v6]
)
