/// A trace table `inet hoptrace_<pid>` whose run is gone (SIGKILL, a crash, a reboot of a
/// persistent namespace's host process), and what the sweep at the start of a run did with it.
/// Such a table still marks packets with nftrace in the namespace, so every `watch` looks for
/// them in each namespace it watches, removes them, and says so on stderr.
///
/// Which run a table belongs to: its name carries the pid, its comment (since this version) the
/// process's start time (`ProcessStat`). A table is this run's own only while this process has a
/// session open; it belongs to another live run when that pid is running now, with the start
/// time the comment records or, for a table without one (an older hoptrace), when the process
/// is a hoptrace. Everything else is a leftover: no such process, or the pid reused by another.
///
/// A leftover nft refuses to delete (a table with `flags owner` belongs to the netlink socket
/// that made it) is reported as a warning naming the table and nft's reason; the run goes on.
public struct StaleTraceTable: Sendable, Equatable {
    public var netns: String?
    public var pid: Int32
    /// nil once removed; else nft's reason for refusing (`NFTMessage.reason`).
    public var failure: String?

    public init(netns: String?, pid: Int32, failure: String? = nil) {
        self.netns = netns
        self.pid = pid
        self.failure = failure
    }

    public var removed: Bool { failure == nil }
    /// `inet hoptrace_<pid>`, as nft names it.
    public var table: String { "inet " + TraceTable.name(pid: pid) }

    /// The stderr line (without the `hoptrace: ` every line carries).
    public var report: String {
        let place = "\(table) in \(netns ?? "the current namespace")"
        guard let failure else { return "removed a trace table left by a run that was killed: \(place)" }
        return "warning: cannot remove a trace table left by a run that was killed: \(place): \(failure)"
            + (NFTMessage.isPermissionDenied(failure)
                ? " (another process holds it: a table with `flags owner` can only be removed by the process that made it, and goes when that process ends)"
                : "")
    }
}

extension TraceTable {
    /// The comment hoptrace gives its table: pid and start time name the run (see StaleTraceTable).
    public static func comment(pid: Int32, startTime: UInt64?) -> String {
        "hoptrace pid \(pid)" + (startTime.map { " start \($0)" } ?? "") + ": temporary nftables tracing, removed on exit"
    }

    /// The start time a `comment(pid:startTime:)` recorded, or nil (another comment, or none).
    public static func startTime(inComment comment: String?) -> UInt64? {
        guard let comment, comment.hasPrefix("hoptrace pid ") else { return nil }
        let words = comment.split(separator: " ")
        guard words.count >= 5, words[3] == "start" else { return nil }
        let value = words[4].hasSuffix(":") ? words[4].dropLast() : words[4]
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(value)
    }

    /// Whether the table `hoptrace_<pid>` is a leftover, from what `/proc/<pid>/stat` says now
    /// (`running`, nil when there is no such process) and the table's `comment`.
    /// - ownPID: this process's pid. `ownTableLive`: whether this process may have a table of
    ///   its own in the namespace now (a trace session is open). At a run's start it has none,
    ///   so a table with its pid was made by an earlier process that had the same pid.
    public static func isLeftover(pid: Int32, comment: String?, running: ProcessStat?,
                                  ownPID: Int32, ownTableLive: Bool) -> Bool {
        if pid == ownPID { return !ownTableLive }
        guard let running, running.pid == pid, running.isRunning else { return true }
        if let recorded = startTime(inComment: comment) { return recorded != running.startTime }
        // No start time (planted, or made by an older hoptrace): only a hoptrace can own it.
        // comm is cut to 15 bytes: the test runner "hoptracePackageTests.xctest" is "hoptracePackage".
        return !running.name.hasPrefix("hoptrace")
    }

    /// The tables of `ruleset` that are named like trace tables, `inet hoptrace_<pid>`, with their pids.
    public static func traceTables(in ruleset: NFTRuleset) -> [(pid: Int32, table: NFTRuleset.Table)] {
        ruleset.tables.compactMap { t in
            guard t.family == .inet, let pid = pid(ofTable: t.name) else { return nil }
            return (pid: pid, table: t)
        }
    }
}

/// nft's error output, which repeats the offending script line with carets under it:
/// ```
/// /dev/stdin:2:19-33: Error: Could not process rule: Operation not permitted
/// delete table inet hoptrace_999998
///                   ^^^^^^^^^^^^^^^
/// ```
public enum NFTMessage {
    /// The sentence after `Error: ` on the first line that has one ("Could not process rule:
    /// Operation not permitted"); else the first non-empty line; "no message" if there is none.
    public static func reason(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        for line in lines {
            if let at = line.firstRange(of: "Error: ") { return String(line[at.upperBound...]).trimmingWhitespace() }
        }
        return lines.first ?? "no message"
    }

    /// Whether nft was refused by the kernel with EPERM. Once nft could list the tables (so it
    /// has CAP_NET_ADMIN in the namespace), that means a table another socket owns.
    public static func isPermissionDenied(_ message: String) -> Bool {
        message.contains("Operation not permitted")
    }
}
