import Foundation
import Glibc
import HoptraceCore

/// Finds and removes the trace tables of runs that are gone (`StaleTraceTable` says which), in
/// the namespaces a run watches. `watch` sweeps every namespace at its start, with or without
/// explain mode, and reports each table; `TraceSession.open` sweeps its namespace again before
/// it installs (the tables it could not remove stay; that is a warning, not a failure).
public enum TraceTableSweep {
    /// At a run's start (this process has no table yet): every leftover in every namespace,
    /// removed or, when nft refuses, reported with its reason. Never fails: a namespace whose
    /// tables cannot be listed (nft missing, no nf_tables) has nothing hoptrace could remove, and
    /// explain mode reports that itself when it installs.
    public static func atStart(namespaces: [String?]) -> [StaleTraceTable] {
        namespaces.flatMap { ns in
            (try? sweep(in: ns.map { NetworkNamespace($0) }, ownPID: getpid(), ownTableLive: false)) ?? []
        }
    }

    /// Lists the namespace's tables and removes each leftover, one nft transaction per table
    /// (so one that nft refuses does not keep the others). Throws only when the tables cannot
    /// be listed.
    public static func sweep(in namespace: NetworkNamespace?, ownPID: Int32, ownTableLive: Bool) throws -> [StaleTraceTable] {
        let candidates = TraceTable.traceTables(in: try listTables(in: namespace))
        var out: [StaleTraceTable] = []
        for (pid, table) in candidates {
            let running = pid == ownPID ? nil : ProcessStat.current(pid: pid)
            // The comment (the run's start time) is only needed when that pid runs now.
            var comment: String?
            if running != nil { comment = (try? Self.comment(of: table, in: namespace)) ?? nil }
            guard TraceTable.isLeftover(pid: pid, comment: comment, running: running, ownPID: ownPID, ownTableLive: ownTableLive)
            else { continue }
            let failure: String?
            do {
                let r = try NamespaceCommand.run(["nft", "-f", "-"], in: namespace, stdin: TraceTable.removeScript(pid: pid))
                failure = r.status == 0 ? nil : NFTMessage.reason(r.stderr)
            } catch {
                failure = "\(error)"
            }
            out.append(StaleTraceTable(netns: namespace?.displayName, pid: pid, failure: failure))
        }
        return out
    }

    /// `nft -j list tables`: tables only (with their comments from nft 1.0.7 on), cheap whatever
    /// the size of the ruleset.
    static func listTables(in namespace: NetworkNamespace?) throws -> NFTRuleset {
        try NamespaceCommand.nftRuleset(["list", "tables"], in: namespace, action: "list the tables")
    }

    /// Whether `inet <name>` is in the namespace now.
    static func hasTable(_ name: String, in namespace: NetworkNamespace?) -> Bool {
        ((try? listTables(in: namespace))?.tables ?? []).contains { $0.family == .inet && $0.name == name }
    }

    /// The comment of a trace table (`inet hoptrace_<pid>`, a plain name), nil if it has none.
    /// nft ≥ 1.0.7 puts it in the JSON `listTables` read; older versions (Debian 12's 1.0.6) print
    /// it only in `nft list table`.
    static func comment(of table: NFTRuleset.Table, in namespace: NetworkNamespace?) throws -> String? {
        if let comment = table.comment { return comment }
        let r = try NamespaceCommand.run(["nft", "list", "table", "\(table.family)", table.name], in: namespace)
        guard r.status == 0 else { throw ExplainError.nft(netns: namespace?.displayName, action: "list \(table.family) \(table.name)", message: r.stderr) }
        return NFTListing.tableComment(in: r.stdout)
    }
}

extension ProcessStat {
    /// What /proc says of `pid` now; nil if no such process (or /proc cannot be read).
    static func current(pid: Int32) -> ProcessStat? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return ProcessStat(parsing: text)
    }
}
