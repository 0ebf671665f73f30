import Foundation
import HoptraceSystem

/// What a finished command left behind.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var succeeded: Bool { status == 0 }
}

/// Runs iproute2/iptables the way the articles do: as separate programs.
/// A failure carries the exact command line and its stderr.
public struct CommandRunner: Sendable {
    public init() {}

    /// Runs argv and returns its result; throws only when it cannot start.
    public func result(_ argv: [String]) throws -> CommandResult {
        let exec = try Self.resolved(argv)
        let r: SubprocessOutput
        do {
            r = try Subprocess.run(exec)
        } catch {
            throw LabError.commandFailed(command: argv, status: -1, stderr: error.description)
        }
        return CommandResult(status: r.termination.code, stdout: r.stdoutText, stderr: r.stderrText)
    }

    /// Runs argv and throws `LabError.commandFailed` unless it exits 0.
    @discardableResult
    public func run(_ argv: [String]) throws -> CommandResult {
        let r = try result(argv)
        guard r.succeeded else { throw LabError.commandFailed(command: argv, status: r.status, stderr: r.stderr) }
        return r
    }

    /// Starts a daemon (via `setsid -f`) with no pipes to us, so our reads never
    /// wait on its lifetime; throws if the launcher itself fails.
    public func spawnDetached(_ argv: [String]) throws {
        let exec = try Self.resolved(argv)
        let ended: Termination
        do {
            ended = try Subprocess.runDetached(exec)
        } catch {
            throw LabError.commandFailed(command: argv, status: -1, stderr: error.description)
        }
        guard ended.succeeded else { throw LabError.commandFailed(command: argv, status: ended.code, stderr: "") }
    }

    /// `argv` as it is started: every program in it named by the path `locate` finds, also
    /// the ones that `ip netns exec NS` and `setsid [-f]` start in turn. Those would search
    /// their own inherited PATH, which may lack sbin (`ip` found here, `iptables` or `sysctl`
    /// then not found by ip), and a missing tool would surface as ip's "exec of ... failed"
    /// instead of `LabError.toolMissing` with its package. The lab's one way to find a tool.
    /// A failure still reports the argv as given (short names).
    public static func resolved(_ argv: [String]) throws -> [String] {
        guard let tool = argv.first else { throw LabError.commandFailed(command: argv, status: -1, stderr: "no program given") }
        let rest = Array(argv.dropFirst())
        var head = [try locate(tool)]
        let tail: [String]
        switch tool {
        case "ip" where rest.count > 3 && rest[0] == "netns" && rest[1] == "exec":
            head += rest.prefix(3)
            tail = Array(rest.dropFirst(3))
        case "setsid" where rest.contains(where: { !$0.hasPrefix("-") }):
            let options = rest.prefix { $0.hasPrefix("-") }
            head += options
            tail = Array(rest.dropFirst(options.count))
        default:
            return head + rest
        }
        return head + (try resolved(tail))
    }

    /// Debian keeps ip, iptables and sysctl in sbin, which a non-login PATH may lack (`ToolLocator`).
    public static func locate(_ tool: String) throws -> String {
        guard let path = ToolLocator.locate(tool) else { throw LabError.toolMissing(tool, package: ToolLocator.package(providing: tool)) }
        return path
    }
}
