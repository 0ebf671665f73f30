import Foundation
import Glibc
import HoptraceCore
import HoptraceSystem

/// Runs a command inside a network namespace (`nsenter --net=PATH …`; the command itself for the
/// current namespace), with optional stdin, and returns what it printed. nft and iptables are
/// run this way: simplest, and exactly what a user would type.
///
/// No temporary files: the script goes to the child's stdin and its output comes back through
/// pipes (`Subprocess`). Nothing is left on disk when hoptrace is killed, and there is no path
/// for anyone to plant a link at. A run is bounded: 30 s, 16 MiB of output.
enum NamespaceCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `--` ends nsenter's options: `argv` is whatever the caller runs.
    static func run(_ argv: [String], in namespace: NetworkNamespace?, stdin: String? = nil) throws -> Output {
        let full = (namespace.map { $0.enterArgv + ["--"] } ?? []) + argv
        let r: SubprocessOutput
        do {
            r = try Subprocess.run(full, input: stdin.map { Array($0.utf8) }, timeout: 30)
        } catch {
            if case .toolMissing(let tool, _) = error { throw ExplainError.missingTool(tool) }
            throw error
        }
        return Output(status: r.termination.code, stdout: r.stdoutText, stderr: r.stderrText)
    }
}

extension NamespaceCommand {
    /// `nft -j ARGS` in the namespace, read into a ruleset; `action` words a failure
    /// ("list the tables"), which names the namespace and nft's own message.
    static func nftRuleset(_ args: [String], in namespace: NetworkNamespace?, action: String) throws -> NFTRuleset {
        let r = try run(["nft", "-j"] + args, in: namespace)
        guard r.status == 0 else { throw ExplainError.nft(netns: namespace?.displayName, action: action, message: r.stderr) }
        do {
            return try NFTRuleset(json: Data(r.stdout.utf8))
        } catch {
            throw ExplainError.nft(netns: namespace?.displayName, action: action + " as JSON", message: "unreadable output: \(error)")
        }
    }
}

/// Explain mode's failures, each a sentence a user can act on.
public enum ExplainError: Error, CustomStringConvertible, Equatable {
    case missingTool(String)
    case nft(netns: String?, action: String, message: String)
    case socket(netns: String?, function: String, errno: Int32)
    /// Tracing was asked of a session already closed (explain mode turned off).
    case closed(netns: String?, table: String)
    /// A table with this run's own name (`inet hoptrace_<pid>`) that this run did not make, and
    /// that nft cannot replace: one held by another process (`flags owner`), named after a pid
    /// this process now has. `reason` is nft's (`NFTMessage.reason`).
    case tableInTheWay(netns: String?, table: String, reason: String)

    public var description: String {
        switch self {
        case .missingTool(let t):
            return "\(t) not found: explain mode runs it (apt-get install \(ToolLocator.package(providing: t)))"
        case .nft(let ns, let action, let message):
            return "\(ns ?? "current namespace"): nft failed to \(action): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .socket(let ns, let function, let e):
            return "\(ns ?? "current namespace"): \(function): \(String(cString: strerror(e)))"
                + (e == EPERM ? " (nftables tracing needs CAP_NET_ADMIN: run with sudo; see 'hoptrace doctor')" : "")
        case .closed(let ns, let table):
            return "\(ns ?? "current namespace"): the trace session of \(table) is closed; turn explain mode on again"
        case .tableInTheWay(let ns, let table, let reason):
            return "\(ns ?? "current namespace"): a table \(table) that this run did not make has the name explain mode needs, "
                + "and nft cannot replace it (\(reason)"
                + (NFTMessage.isPermissionDenied(reason) ? ": another process holds it, `flags owner`" : "")
                + "); remove it, or run hoptrace again (a new run has another pid, so another table name)"
        }
    }
}
