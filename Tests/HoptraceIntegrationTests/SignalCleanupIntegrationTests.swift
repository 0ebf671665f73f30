import Foundation
import HoptraceSystem
import Testing

/// Every way a run ends removes what explain mode installed (issue 14, finding 7): a reader
/// that goes away (`watch --explain --json | head -1`) and a closed terminal (SIGHUP) end the
/// run like Ctrl-C, never by the signal's default action with the `inet hoptrace_<pid>` tables
/// left live (nftrace rules and all) in the lab's namespaces.
/// (The live view's SIGHUP twin is in LiveViewEndToEndTests.)
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct SignalCleanupIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// `nft list tables` of each lab namespace that still holds a hoptrace table.
    func leftovers(_ p: String) throws -> [String] {
        try ["ns0", "ns1", "host", "remote"].compactMap { ns in
            let tables = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + ns, "nft", "list", "tables"]).stdout
            return tables.contains("hoptrace_") ? "\(p + ns): \(tables)" : nil
        }
    }

    @Test func aReaderThatGoesAwayEndsTheRunWithStatusZeroAndNoTableLeft() throws {
        try withLab("sp", scenario: "S2") { p throws in
            try withScratchDirectory("sigpipe") { dir throws in
                // The user's own pipeline, built by bash (so no descriptor of the pipe is held by
                // this process or anything else it spawns): head takes one line and closes the
                // pipe; PIPESTATUS says how hoptrace ended. --duration only bounds a failed run.
                let watch = "\(Hoptrace.binary) watch --lab --prefix \(p) --explain --json --duration 60 -- icmp"
                // setsid: bash in a process group of its own, which its pipeline shares (bash is no
                // group leader when it starts, so setsid execs it in place: the pid stays bash's).
                let shell = try Subprocess.launch(["setsid", "/bin/bash", "-c",
                                                   "\(watch) 2>\(dir)/err | head -1 >\(dir)/first; echo ${PIPESTATUS[0]} >\(dir)/status"])
                defer {
                    if shell.isRunning { kill(-shell.pid, SIGKILL) }
                    shell.wait()
                }
                let watching = eventually(10) { fileText("\(dir)/err")?.contains("hoptrace: watching") == true }
                try #require(watching, "watch did not start: \(fileText("\(dir)/err") ?? "")")
                // The tables are in before "watching" is said.
                #expect(try !leftovers(p).isEmpty, "--explain installed its tables before saying 'watching'")

                _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "1"])
                let first = eventually(10) { fileText("\(dir)/first")?.isEmpty == false }
                try #require(first, "head got its line: \(fileText("\(dir)/err") ?? "")")
                #expect(fileText("\(dir)/first")?.hasPrefix("{") == true, "an NDJSON line: \(fileText("\(dir)/first") ?? "")")
                usleep(200_000)  // head has exited: nothing reads the pipe any more
                // More lines to write: the write that finds no reader (EPIPE) ends the run.
                _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"])

                let ended = eventually(10) { fileText("\(dir)/status") != nil }
                #expect(ended, "hoptrace stopped within seconds of its reader going away")
                let status = fileText("\(dir)/status")?.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(status == "0", "a normal end, not SIGPIPE's 141: status \(status ?? "none"), stderr: \(fileText("\(dir)/err") ?? "")")
                let left = try leftovers(p)
                #expect(left.isEmpty, "no hoptrace table left: \(left)")
            }
        }
    }

    @Test func sighupEndsTheRunNormallyAndRemovesTheTraceTables() throws {
        try withLab("sh", scenario: "S2") { p throws in
            try withScratchDirectory("sighup") { dir throws in
                let out = "\(dir)/out", err = "\(dir)/err"
                // --duration only bounds a failed run.
                let watcher = try Subprocess.launch([Hoptrace.binary, "watch", "--lab", "--prefix", p, "--explain", "--json", "--duration", "60", "--", "icmp"],
                                                    stdin: .null, stdout: .file(out), stderr: .file(err))
                defer {
                    if watcher.isRunning { watcher.signal(SIGKILL) }
                    watcher.wait()
                }
                let watching = eventually(10) { fileText(err)?.contains("hoptrace: watching") == true }
                try #require(watching, "watch did not start: \(fileText(err) ?? "")")

                // A flow traced: its later echo requests come back as the kernel's rule path.
                _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "3", "--interval", "0.5"])
                let traced = eventually(5) { fileText(out)?.contains(#""type":"trace""#) == true }
                #expect(traced, "a trace line: \(fileText(out) ?? "")")
                let installed = try leftovers(p)
                let ownTable = "hoptrace_\(watcher.pid)"
                #expect(!installed.isEmpty && installed.allSatisfy { $0.contains(ownTable) }, "--explain installed its tables: \(installed)")

                watcher.signal(SIGHUP)
                let ended = eventually(5) { !watcher.isRunning }
                try #require(ended, "hoptrace stopped within seconds of SIGHUP")
                let termination = watcher.wait()
                #expect(termination == .exited(0), "a normal end, not SIGHUP's default action: \(termination); \(fileText(err) ?? "")")
                let left = try leftovers(p)
                #expect(left.isEmpty, "no hoptrace table left: \(left)")
            }
        }
    }
}
