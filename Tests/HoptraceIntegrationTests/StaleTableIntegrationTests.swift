import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceSystem
import Testing

/// What runs that were killed leave behind, and pids that now name other processes (issue 14,
/// finding 7): every `watch` start removes and reports the `inet hoptrace_<pid>` tables of runs
/// that are gone in the namespaces it watches; a table nft refuses to remove (`flags owner`,
/// held by another process) is a warning, not the end of the run; `lab publish --off` signals
/// no process that merely got the server's pid. Every lab is torn down, also on failure.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct StaleTableIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// `count` pids that no process has now (from 999999 down: above this machine's pid_max or not).
    static func unusedPIDs(_ count: Int) -> [Int32] {
        let free = (Int32(900_000)...Int32(999_999)).reversed().lazy.filter { !FileManager.default.fileExists(atPath: "/proc/\($0)") }
        return Array(free.prefix(count))
    }

    func nft(_ ns: String, _ args: [String]) throws {
        let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", ns, "nft"] + args)
        try #require(r.status == 0, "nft \(args.joined(separator: " ")) in \(ns): \(r.stderr)")
    }

    func tables(_ ns: String) throws -> String {
        try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", ns, "nft", "list", "tables"]).stdout
    }

    /// A `flags owner` table named after a pid no process has, held by another process in `host`.
    func heldTable(in host: String) throws -> (OwnerTable, Int32) {
        let pid = try #require(Self.unusedPIDs(1).first)
        let held = try OwnerTable(netns: host, name: "hoptrace_\(pid)")
        // (A failed check drops `held`, whose deinit releases the table.)
        try #require(eventually(3) { try tables(host).contains("hoptrace_\(pid)") },
                     "nft -i could not make an owner table (needs nft >= 0.9.9 and Linux >= 5.12)")
        return (held, pid)
    }

    @Test func leftoverTablesAreRemovedAndReportedAtEveryStartInEveryWatchedNamespace() throws {
        try withLab("sx", scenario: "S2") { p throws in
            try withScratchDirectory("stale") { dir throws in
                let host = p + "host", ns1 = p + "ns1", ns0 = p + "ns0"
                let dead = Self.unusedPIDs(3)
                try #require(dead.count == 3)
                // A run that was killed: no process has its pid now.
                try nft(host, ["add", "table", "inet", "hoptrace_\(dead[0])"])
                try nft(host, ["add", "chain", "inet", "hoptrace_\(dead[0])", "c"])
                try nft(ns1, ["add", "table", "inet", "hoptrace_\(dead[1])"])
                // ns0 is not a --lab capture point: not watched, not touched.
                try nft(ns0, ["add", "table", "inet", "hoptrace_\(dead[2])"])
                // A run whose pid now belongs to a process that is not hoptrace.
                let reused = try Sleeper()
                defer { reused.stop() }
                try nft(host, ["add", "table", "inet", "hoptrace_\(reused.pid)"])
                // Kept: a table that is not a trace table, and the table of a run that still lives
                // (this process, with its start time in the comment, as TraceSession writes it).
                try nft(host, ["add", "table", "inet", "other"])
                let me = try #require(ProcessStat(parsing: try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)))
                let live = "\(dir)/live.nft"
                try TraceTable.installScript(pid: getpid(), startTime: me.startTime, selectors: []).write(toFile: live, atomically: true, encoding: .utf8)
                try nft(host, ["-f", live])
                defer { _ = try? Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", host, "nft", "delete", "table", "inet", "hoptrace_\(getpid())"]) }

                let r = try Hoptrace.run(["watch", "--lab", "--prefix", p, "--duration", "1", "--json"])
                #expect(r.status == 0, "\(r.stderr)")
                let removed = r.stderr.split(separator: "\n").filter { $0.contains("trace table") }.map(String.init).sorted()
                #expect(removed == [
                    "hoptrace: removed a trace table left by a run that was killed: inet hoptrace_\(dead[0]) in \(host)",
                    "hoptrace: removed a trace table left by a run that was killed: inet hoptrace_\(dead[1]) in \(ns1)",
                    "hoptrace: removed a trace table left by a run that was killed: inet hoptrace_\(reused.pid) in \(host)",
                ].sorted(), "\(r.stderr)")
                let hostTables = try tables(host)
                #expect(!hostTables.contains("hoptrace_\(dead[0])"))
                #expect(!hostTables.contains("hoptrace_\(reused.pid)"))
                #expect(hostTables.contains("table inet other"))
                #expect(hostTables.contains("table inet hoptrace_\(getpid())"), "a live run's table stays: \(hostTables)")
                #expect(!(try tables(ns1)).contains("hoptrace_"))
                #expect(try tables(ns0).contains("table inet hoptrace_\(dead[2])"), "ns0 is not watched")
                #expect(reused.isAlive, "the process that got the pid is left alone")

                // The next start has nothing left to report.
                let again = try Hoptrace.run(["watch", "--lab", "--prefix", p, "--duration", "1", "--json"])
                #expect(again.status == 0, "\(again.stderr)")
                #expect(!again.stderr.contains("trace table"), "\(again.stderr)")
            }
        }
    }

    @Test func aTableHeldByAnotherProcessIsAWarningAndExplainGoesOn() throws {
        try withLab("so", scenario: "S2") { p throws in
            let host = p + "host"
            let (held, pid) = try heldTable(in: host)
            defer { held.release() }

            let r = try Hoptrace.run(["watch", "--lab", "--prefix", p, "--explain", "--duration", "2", "--json", "--", "icmp"])
            #expect(r.status == 0, "explain mode aborted: \(r.stderr)")
            #expect(r.stderr.contains(
                "hoptrace: warning: cannot remove a trace table left by a run that was killed: inet hoptrace_\(pid) in \(host): "),
                    "\(r.stderr)")
            #expect(r.stderr.contains("Operation not permitted"), "nft's reason: \(r.stderr)")
            #expect(r.stderr.contains("flags owner"), "\(r.stderr)")
            let during = try tables(host)
            #expect(during.contains("hoptrace_\(pid)"), "nobody can remove it but its holder")
            // Explain mode's own table went in and came out again; only the held one is left.
            #expect(during.components(separatedBy: "hoptrace_").count == 2, "\(during)")

            held.release()
            #expect(try eventually(3) { try !tables(host).contains("hoptrace_") }, "the holder gone, its table goes")
        }
    }

    /// After pid reuse, a held table may carry this process's own name: explain mode cannot
    /// install under it, and says so (a run with another pid would have another name).
    @Test func aHeldTableWithThisRunsOwnNameFailsExplainWithASentence() throws {
        try withLab("sn", scenario: "S2") { p throws in
            let host = p + "host"
            let (held, pid) = try heldTable(in: host)
            defer { held.release() }

            let error = #expect(throws: ExplainError.self) {
                _ = try TraceSession.open(netns: host, selectors: [try TraceSelector(expression: "icmp type echo-request")], pid: pid)
            }
            guard case .tableInTheWay(let ns, let table, let reason)? = error else {
                Issue.record("expected tableInTheWay, got \(String(describing: error))")
                return
            }
            #expect(ns == host)
            #expect(table == "inet hoptrace_\(pid)")
            #expect(reason.contains("Operation not permitted"))
            #expect(error?.description.contains("run hoptrace again") == true, "\(error?.description ?? "")")
            #expect(try tables(host).contains("hoptrace_\(pid)"))
        }
    }

    @Test func publishOffSignalsNoProcessThatMerelyGotTheServersPid() throws {
        try withLab("sq", scenario: "S2") { p throws in
            let pidFile = "/run/hoptrace/lab/\(p)-serve-8080.pid"
            let bystander = try Sleeper()
            defer { bystander.stop() }
            // The server died unnoticed and its pid went to `sleep`: the file has the pid with
            // another start time, or (an older hoptrace's file) the pid alone.
            for planted in ["\(bystander.pid) 1\n", "\(bystander.pid)\n"] {
                try planted.write(toFile: pidFile, atomically: true, encoding: .utf8)
                let off = try Hoptrace.run(["lab", "publish", "--prefix", p, "8080", "--off"])
                #expect(off.status == 0, "\(off.stderr)")
                #expect(off.stdout.contains("the test server for tcp/8080 in \(p)ns1 is gone; nothing to stop"), "\(off.stdout)")
                #expect(!FileManager.default.fileExists(atPath: pidFile), "the stale pid file is removed")
                usleep(200_000)
                #expect(bystander.isAlive, "\(planted.debugDescription): the bystander was signalled")
            }

            // The real server: its file names it by pid and start time, and --off stops it.
            let on = try Hoptrace.run(["lab", "publish", "--prefix", p, "8080"])
            try #require(on.status == 0, "\(on.stderr)")
            let fields = (fileText(pidFile) ?? "").split(separator: " ")
            try #require(fields.count == 2, "pid file: \(fileText(pidFile) ?? "none")")
            let server = try #require(Int32(fields[0]))
            let start = try #require(UInt64(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Sleeper.stat(server)?.startTime == start)
            let off = try Hoptrace.run(["lab", "publish", "--prefix", p, "8080", "--off"])
            #expect(off.status == 0, "\(off.stderr)")
            #expect(off.stdout.contains("stopped the test server for tcp/8080"), "\(off.stdout)")
            #expect(eventually(3) { Sleeper.stat(server)?.isSameProcess(pid: server, startTime: start) != true }, "the server still runs")
            #expect(bystander.isAlive)
        }
    }
}

/// A `sleep 60` of our own: a live process that is not hoptrace, to hand a pid to.
final class Sleeper {
    private let process: Child
    var pid: Int32 { process.pid }

    init() throws {
        process = try Subprocess.launch(["/bin/sleep", "60"], stdin: .null, stdout: .null, stderr: .null)
    }

    static func stat(_ pid: Int32) -> ProcessStat? {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap { ProcessStat(parsing: $0) }
    }

    /// Running: not gone, not a zombie (a signalled child stays one until reaped).
    var isAlive: Bool { Self.stat(pid)?.isRunning ?? false }

    func stop() {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        process.wait()
    }

    deinit { stop() }
}

/// A table with `flags owner` in `netns`, made and held by an interactive `nft -i` whose stdin
/// we keep open: the kernel lets only that netlink socket change it, and removes it when the
/// socket closes (`release`).
final class OwnerTable {
    private let process: Child
    /// Our end of nft's stdin, a named pipe.
    private let input: Int32
    private var released = false

    init(netns: String, name: String) throws {
        // Read-write: our open does not wait for nft's, and nft's finds a writer.
        let (input, process) = try namedPipe("owner", ourEnd: O_RDWR) { fifo in
            try Subprocess.launch(["/usr/sbin/ip", "netns", "exec", netns, "nft", "-i"], stdin: .file(fifo), stdout: .null, stderr: .null)
        }
        self.input = input
        self.process = process
        let command = Array("add table inet \(name) { flags owner; }\n".utf8)
        let written = command.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        guard written == command.count else { throw TestFailure("nft -i: \(String(cString: strerror(errno)))") }
    }

    func release() {
        guard !released else { return }
        released = true
        close(input)
        // EOF ends nft -i; if it does not, end it: the table goes with its socket either way.
        for _ in 0..<30 where process.isRunning { usleep(100_000) }
        if process.isRunning { process.signal(SIGTERM) }
        process.wait()
    }

    deinit { release() }
}
