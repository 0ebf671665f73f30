import Foundation
import HoptraceCore
import Testing

/// A pid names a process only while it lives (issue 14, finding 7): what hoptrace writes down
/// to find a process again carries its start time, parsed from /proc/PID/stat, and a trace
/// table is a leftover unless that very run still lives.
@Suite struct ProcessStatTests {
    /// proc(5)'s layout: 52 fields, starttime (field 22) is 4242.
    static func line(pid: String = "1234", comm: String = "hoptrace", state: String = "S", start: String = "4242") -> String {
        let middle = (4...21).map { String($0) }.joined(separator: " ")  // fields 4…21
        return "\(pid) (\(comm)) \(state) \(middle) \(start) 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    }

    @Test func readsPidNameStateAndStartTime() throws {
        let s = try #require(ProcessStat(parsing: Self.line()))
        #expect(s == ProcessStat(pid: 1234, name: "hoptrace", state: "S", startTime: 4242))
        #expect(s.isRunning)
        #expect(s.isSameProcess(pid: 1234, startTime: 4242))
        #expect(!s.isSameProcess(pid: 1234, startTime: 4243), "the pid reused by a later process")
        #expect(!s.isSameProcess(pid: 1235, startTime: 4242))
    }

    /// comm is whatever the process named itself: spaces and parentheses included. The fields
    /// after it are counted from the last ')'.
    @Test func aNameWithSpacesAndParenthesesDoesNotShiftTheFields() throws {
        let s = try #require(ProcessStat(parsing: Self.line(comm: "a) (b 7 8 9")))
        #expect(s.name == "a) (b 7 8 9")
        #expect(s.startTime == 4242)
        #expect(s.state == "S")
    }

    @Test func aZombieIsNotRunning() throws {
        let z = try #require(ProcessStat(parsing: Self.line(state: "Z")))
        #expect(!z.isRunning)
        #expect(!z.isSameProcess(pid: 1234, startTime: 4242), "exited: nothing to signal")
    }

    @Test func anythingElseIsNil() {
        for bad in ["", "1234", "1234 (x)", "x (hoptrace) S 1 2", "-1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
                    Self.line(pid: "abc"), Self.line(pid: "0"), Self.line(start: "12x"), Self.line(start: "-5"),
                    Self.line(state: "SS"), String(Self.line().prefix(40)), "1234 (x S 1 2 3"] {
            #expect(ProcessStat(parsing: bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func thisProcessReadsBackItself() throws {
        let text = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        let s = try #require(ProcessStat(parsing: text))
        #expect(s.pid == getpid())
        #expect(s.isRunning)
        #expect(s.startTime > 0)
    }
}

@Suite struct StaleTraceTableTests {
    static func process(_ pid: Int32, _ name: String, start: UInt64, state: Character = "S") -> ProcessStat {
        ProcessStat(pid: pid, name: name, state: state, startTime: start)
    }

    @Test func theCommentRecordsPidAndStartTime() {
        let c = TraceTable.comment(pid: 4242, startTime: 987_654)
        #expect(c == "hoptrace pid 4242 start 987654: temporary nftables tracing, removed on exit")
        #expect(TraceTable.startTime(inComment: c) == 987_654)
        #expect(TraceTable.installScript(pid: 4242, startTime: 987_654, selectors: []).contains("comment \"\(c)\""))
        // An older hoptrace's comment, someone else's, none.
        #expect(TraceTable.startTime(inComment: TraceTable.comment(pid: 4242, startTime: nil)) == nil)
        #expect(TraceTable.startTime(inComment: "hoptrace pid 4242: temporary nftables tracing, removed on exit") == nil)
        #expect(TraceTable.startTime(inComment: "hoptrace pid 1 start x1: y") == nil)
        #expect(TraceTable.startTime(inComment: "mine") == nil)
        #expect(TraceTable.startTime(inComment: nil) == nil)
    }

    @Test func aTableIsALeftoverUnlessItsRunStillLives() {
        let mine = TraceTable.comment(pid: 100, startTime: 5000)
        func leftover(_ pid: Int32, _ comment: String?, _ running: ProcessStat?, live: Bool = true) -> Bool {
            TraceTable.isLeftover(pid: pid, comment: comment, running: running, ownPID: 400, ownTableLive: live)
        }
        // No such process.
        #expect(leftover(100, mine, nil))
        // The run itself, still going.
        #expect(!leftover(100, mine, Self.process(100, "hoptrace", start: 5000)))
        // Its pid reused by another process (another start time), even another hoptrace.
        #expect(leftover(100, mine, Self.process(100, "sleep", start: 9000)))
        #expect(leftover(100, mine, Self.process(100, "hoptrace", start: 9000)))
        // Exited, not yet reaped.
        #expect(leftover(100, mine, Self.process(100, "hoptrace", start: 5000, state: "Z")))
        // No start time (planted, or an older hoptrace): only a hoptrace process can own it.
        #expect(!leftover(100, nil, Self.process(100, "hoptrace", start: 1)))
        #expect(!leftover(100, nil, Self.process(100, "hoptracePackage", start: 1)))
        #expect(leftover(100, nil, Self.process(100, "sleep", start: 1)))
        // This process's own name: its own while a session is open, an earlier process's at a start.
        #expect(!leftover(400, nil, Self.process(400, "hoptrace", start: 1), live: true))
        #expect(leftover(400, nil, Self.process(400, "hoptrace", start: 1), live: false))
    }

    /// What the sweep reads (real nft 1.0.6 output, Tests/Fixtures/nftrace/sweep.*): the tables from
    /// `nft -j list tables`, and, as that version's JSON has no table comments, a running pid's
    /// table's comment from `nft list table`.
    @Test func theSweepFindsTraceTablesAndTheirStartTimes() throws {
        let tables = try NFTraceFixtures.structure("sweep")
        #expect(tables.tables.map(\.name) == ["hoptrace_4242", "hoptrace_77", "hoptrace_300", "other"])
        let trace = TraceTable.traceTables(in: tables)
        #expect(trace.map(\.pid) == [4242, 77])
        #expect(trace.allSatisfy { $0.table.comment == nil })
        let comment = NFTListing.tableComment(in: try NFTraceFixtures.text("sweep.table.inet.hoptrace_4242.txt"))
        #expect(comment == TraceTable.comment(pid: 4242, startTime: 987_654))
        #expect(TraceTable.startTime(inComment: comment) == 987_654)
        // A table without a comment (an older hoptrace's): its rules' lines are not a comment.
        #expect(NFTListing.tableComment(in: try NFTraceFixtures.text("sweep.table.inet.hoptrace_77.txt")) == nil)
        // The run that made it still runs: not a leftover; another process with its pid: a leftover.
        let run = ProcessStat(pid: 4242, name: "hoptrace", state: "S", startTime: 987_654)
        #expect(!TraceTable.isLeftover(pid: 4242, comment: comment, running: run, ownPID: 1, ownTableLive: false))
        let reused = ProcessStat(pid: 4242, name: "hoptrace", state: "S", startTime: 5)
        #expect(TraceTable.isLeftover(pid: 4242, comment: comment, running: reused, ownPID: 1, ownTableLive: false))
    }

    @Test func reportsSayWhatWasRemovedAndWhatCouldNotBe() {
        let removed = StaleTraceTable(netns: "htns1", pid: 1234)
        #expect(removed.removed)
        #expect(removed.report == "removed a trace table left by a run that was killed: inet hoptrace_1234 in htns1")
        #expect(StaleTraceTable(netns: nil, pid: 7).report.hasSuffix("inet hoptrace_7 in the current namespace"))
        let held = StaleTraceTable(netns: "hthost", pid: 999_998, failure: "Could not process rule: Operation not permitted")
        #expect(!held.removed)
        #expect(held.report.hasPrefix("warning: cannot remove a trace table left by a run that was killed: inet hoptrace_999998 in hthost: Could not process rule: Operation not permitted"))
        #expect(held.report.contains("flags owner"))
        let other = StaleTraceTable(netns: "hthost", pid: 5, failure: "No such file or directory")
        #expect(!other.report.contains("flags owner"))
    }

    @Test func nftsReasonIsTheSentenceAfterError() {
        let stderr = """
        /dev/stdin:1:1-27: Error: Could not process rule: Operation not permitted
        table inet hoptrace_999998
        ^^^^^^^^^^^^^^^^^^^^^^^^^^^
        /dev/stdin:2:19-33: Error: Could not process rule: Operation not permitted
        delete table inet hoptrace_999998
                          ^^^^^^^^^^^^^^^

        """
        #expect(NFTMessage.reason(stderr) == "Could not process rule: Operation not permitted")
        #expect(NFTMessage.isPermissionDenied(NFTMessage.reason(stderr)))
        #expect(NFTMessage.reason("\n  something odd\n") == "something odd")
        #expect(NFTMessage.reason("") == "no message")
    }
}
