import Foundation
import HoptraceCore

/// Everything the lab can refuse or fail at, each with a sentence a user can act on.
public enum LabError: Error, Equatable, CustomStringConvertible {
    case invalidPrefix(String)
    case unknownRole(String, known: [String])
    case notRoot
    case toolMissing(String, package: String)
    case commandFailed(command: [String], status: Int32, stderr: String)
    case foreignNamespace(String)
    case notUp(prefix: String)
    case unknownScenario(String)
    case probeFailed(String)
    case invalidSetting(String)
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .invalidPrefix(let p):
            return "invalid lab prefix '\(p)': use 1-16 characters from a-z, 0-9 and '-'"
        case .unknownRole(let r, let known):
            return "unknown lab namespace '\(r)': use ns0, ns1, host, remote or one of \(known.joined(separator: ", "))"
        case .notRoot:
            return "the lab creates network namespaces: run it as root (or with CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        case .toolMissing(let tool, let package):
            return "'\(tool)' not found: install it with 'apt-get install \(package)'"
        case .commandFailed(let command, let status, let stderr):
            let err = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "command failed (exit \(status)): \(ShellQuote.join(command))" + (err.isEmpty ? "" : "\n  \(err)")
        case .foreignNamespace(let ns):
            return "network namespace '\(ns)' exists but was not made by hoptrace lab: choose another --prefix"
        case .notUp(let prefix):
            return "the lab with prefix '\(prefix)' is not up: run 'hoptrace lab up' first"
        case .unknownScenario(let s):
            return "unknown scenario '\(s)': use one of \(LabScenario.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidAddress(let text):
            return "'\(TerminalText.safe(text))' is not an IP address: give --to an IPv4 or IPv6 address such as \(LabTopology.remoteAddress)"
        case .probeFailed(let why), .invalidSetting(let why):
            return why
        }
    }
}
