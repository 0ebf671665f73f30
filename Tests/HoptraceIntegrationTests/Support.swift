import Foundation
import HoptraceSystem
import Synchronization
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
        let r = try Subprocess.run(argv)
        // Cut output would let a test pass on what it never saw.
        guard !r.truncated else { throw TestFailure("\(argv.joined(separator: " ")) printed more than Subprocess keeps") }
        return Output(status: r.termination.code, stdout: r.stdoutText, stderr: r.stderrText)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Tags of the labs up now: suites run in parallel, and two tests sharing a tag would tear
/// each other's lab down (a test's flows then vanish for no reason of its own).
private let labsUp = Mutex<Set<String>>([])

/// A lab with a prefix no other test uses, always torn down, also when the body throws.
func withLab(_ tag: String, scenario: String, _ body: (String) throws -> Void) throws {
    guard labsUp.withLock({ $0.insert(tag).inserted }) else {
        throw TestFailure("lab tag '\(tag)' is in use by another test running now: give this test a tag of its own")
    }
    defer { labsUp.withLock { _ = $0.remove(tag) } }
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
/// `wrapper`: a command hoptrace runs under (its argv goes after it); `started` gets the pid of
/// what was started (hoptrace's own without a wrapper).
func watch(_ args: [String], wrapper: [String] = [], duration: Int = 6, during action: () throws -> Void, announced: (String) -> Void = { _ in },
           started: (Int32) -> Void = { _ in }) throws -> [String] {
    guard FileManager.default.isExecutableFile(atPath: Hoptrace.binary) else {
        throw TestFailure("\(Hoptrace.binary) not found: build it first ('swift build'; scripts/test does)")
    }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ht-watch-\(UUID().uuidString).out")
    defer { try? FileManager.default.removeItem(at: out) }
    // stdout and stderr in one file, in the order written: one open file (sh's 2>&1), not two
    // `.file` streams that would each write from offset 0. sh execs hoptrace: the pid is its.
    let watcher = try Subprocess.launch(["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"] + wrapper + [Hoptrace.binary, "watch", "--duration", "\(duration)"] + args,
                                        stdin: .inherit, stdout: .file(out.path))
    started(watcher.pid)
    // Send traffic only once every handle and table is open: watch says so on stderr (a loaded
    // machine may take seconds; the loop ends as soon as it is said).
    for _ in 0..<400 {
        if (try? String(contentsOf: out, encoding: .utf8))?.contains("hoptrace: watching") == true { break }
        usleep(50_000)
    }
    try action()
    watcher.wait()
    let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
    lines.first { $0.hasPrefix("hoptrace: watching") }.map(announced)
    return lines.filter { !$0.hasPrefix("hoptrace: watching") }
}

/// A ping from the lab's ns1 to the remote that keeps going (one ICMP id: one flow) until
/// `stop`; what long-lived-flow tests watch while they change the lab under it.
final class ContinuousPing {
    private let process: Child

    init(prefix p: String, interval: String, deadline: Int = 120) throws {
        process = try Subprocess.launch(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-q", "-i", interval, "-w", "\(deadline)", "172.31.45.174"],
                                        stdin: .inherit)
    }

    func stop() {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        process.wait()
    }

    deinit { stop() }
}

/// A named pipe for a child's stdin or stdout that the test feeds or follows while the child
/// runs (`Subprocess.Stream` has no pipe: the child opens the path as a `.file`). Our end is
/// opened first with `flags`, close-on-exec: the child's own open then never waits for us, and
/// the child holds no end of ours, so EOF comes when the last writer closes. `start` launches
/// the child; the name is removed afterwards (`launch` returns after the exec, the open done).
/// Returns our descriptor, which the caller closes, and what `start` returned.
func namedPipe<T>(_ tag: String, ourEnd flags: Int32, _ start: (String) throws -> T) throws -> (fd: Int32, started: T) {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ht-\(tag)-\(UUID().uuidString).fifo").path
    guard mkfifo(path, 0o600) == 0 else { throw TestFailure("mkfifo \(path): \(String(cString: strerror(errno)))") }
    defer { unlink(path) }
    let fd = open(path, flags | O_CLOEXEC)
    guard fd >= 0 else { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
    do {
        let started = try start(path)
        return (fd, started)
    } catch {
        close(fd)
        throw error
    }
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
