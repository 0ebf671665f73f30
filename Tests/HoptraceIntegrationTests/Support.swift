import Foundation
import Testing

/// Root-only tests run in CI (root). Elsewhere they are skipped with this reason,
/// except under CI=true, where a missing privilege is a failure, not a skip.
enum Privilege {
    static let isRoot = geteuid() == 0
    static let reason: Comment = "needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN) to build network namespaces; run 'sudo scripts/test'"

    static func ciRequiresRoot() {
        if ProcessInfo.processInfo.environment["CI"] == "true" && !isRoot {
            Issue.record("CI=true but not running as root: the integration tests must run, not skip")
        }
    }
}

/// Runs the built `hoptrace` binary, the way a user does, and returns what it said.
struct Hoptrace {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["HOPTRACE_BIN"] { return path }
        return packageRoot.appendingPathComponent(".build/debug/hoptrace").path
    }

    @discardableResult
    static func run(_ args: [String]) throws -> Output {
        try exec([binary] + args)
    }

    static func exec(_ argv: [String]) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: argv[0]) else {
            throw TestFailure("\(argv[0]) not found: build it first ('swift build'; scripts/test does)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ht-\(UUID().uuidString).out")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("ht-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return Output(
            status: p.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A lab with a prefix no other test uses, always torn down, also when the body throws.
func withLab(_ tag: String, scenario: String, _ body: (String) throws -> Void) throws {
    let prefix = "hti\(getpid() % 10000)\(tag)"
    defer { _ = try? Hoptrace.run(["lab", "down", "--prefix", prefix]) }
    let up = try Hoptrace.run(["lab", "up", "--prefix", prefix, "--scenario", scenario])
    #expect(up.status == 0, "lab up failed: \(up.stderr)")
    try body(prefix)
}

/// Everything of the machine's own namespace the lab could conceivably change.
enum RootNamespace {
    static func snapshot() throws -> String {
        var parts: [String] = []
        for argv in [["/usr/sbin/ip", "-o", "link", "show"], ["/usr/sbin/ip", "-o", "addr", "show"],
                     ["/usr/sbin/ip", "route", "show", "table", "all"], ["/usr/sbin/ip", "rule", "show"],
                     ["/usr/sbin/nft", "list", "ruleset"]] {
            let r = try Hoptrace.exec(argv)
            // No -s: counters would change on their own and hide nothing we care about.
            parts.append(argv.joined(separator: " ") + "\n" + r.stdout + r.stderr)
        }
        for key in ["net/ipv4/ip_forward", "net/ipv4/conf/all/rp_filter", "net/ipv4/conf/all/forwarding",
                    "net/bridge/bridge-nf-call-iptables"] {
            let value = (try? String(contentsOfFile: "/proc/sys/" + key, encoding: .utf8)) ?? "absent\n"
            parts.append("\(key)=\(value)")
        }
        return parts.joined(separator: "\n")
    }
}

/// Runs `hoptrace watch --duration 6 ARGS` while `action` generates traffic; returns its lines.
func watch(_ args: [String], during action: () throws -> Void, announced: (String) -> Void = { _ in }) throws -> [String] {
    let watcher = Process()
    watcher.executableURL = URL(fileURLWithPath: Hoptrace.binary)
    watcher.arguments = ["watch", "--duration", "6"] + args
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ht-watch-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    watcher.standardOutput = try FileHandle(forWritingTo: out)
    watcher.standardError = watcher.standardOutput
    try watcher.run()
    // Send traffic only once every handle is open: watch says so on stderr.
    for _ in 0..<100 {
        if (try? String(contentsOf: out, encoding: .utf8))?.contains("hoptrace: watching") == true { break }
        usleep(50_000)
    }
    try action()
    watcher.waitUntilExit()
    let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
    lines.first { $0.hasPrefix("hoptrace: watching") }.map(announced)
    return lines.filter { !$0.hasPrefix("hoptrace: watching") }
}

/// A ping from the lab's ns1 to the remote that keeps going (one ICMP id: one flow) until
/// `stop`; what long-lived-flow tests watch while they change the lab under it.
final class ContinuousPing {
    private let process = Process()

    init(prefix p: String, interval: String, deadline: Int = 120) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", p + "ns1", "ping", "-n", "-q", "-i", interval, "-w", "\(deadline)", "172.31.45.174"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A fresh directory under the temporary directory for the body's files, removed afterwards.
func withScratchDirectory(_ tag: String, _ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ht-\(tag)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
}

/// The permission bits of `path` itself (a symlink is not followed), or nil if nothing is there.
func permissions(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
}

/// The file's bytes as text, or nil if it cannot be read.
func fileText(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// Asks `done` every 100 ms for up to `seconds`; whether it came true.
func eventually(_ seconds: Double, _ done: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<Int(seconds * 10) {
        if try done() { return true }
        usleep(100_000)
    }
    return try done()
}
