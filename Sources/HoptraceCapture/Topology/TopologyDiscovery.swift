import Foundation
import HoptraceCore
import HoptraceSystem

/// Reads the watched namespaces' links, addresses, routes, namespace ids and
/// ip_forward the way a user would (`ip -j …`). The raw outputs are kept
/// (`NamespaceSources`): a recording carries them, and they parse into a `Topology`.
/// A named namespace is addressed with `ip -n NAME`, one given by path with `nsenter --net=PATH`
/// (`NetworkNamespace.argv(running:)`); nil is the current namespace.
public enum TopologyDiscovery {
    /// Every namespace's sources, within `TopologyLimits`: past a limit this throws, the run
    /// goes on without hop paths, and nothing is recorded that a replay would refuse.
    public static func sources(namespaces: [String?]) throws -> [NamespaceSources] {
        let sources: [NamespaceSources] = try namespaces.map { ns in
            let namespace = ns.map { NetworkNamespace($0) }
            func ip(_ args: [String]) throws -> [UInt8] {
                let command = ["ip", "-j"] + args
                return Array(try run(namespace?.argv(running: command) ?? command))
            }
            let forward = (try? NetnsThread.run(in: namespace) {
                (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)) ?? ""
            }) ?? ""
            return NamespaceSources(
                name: ns, link: try ip(["-d", "link", "show"]), addr: try ip(["addr", "show"]),
                route: try ip(["route", "show", "table", "main"]), route6: try ip(["-6", "route", "show", "table", "main"]),
                nsid: try ip(["netns", "list-id"]), ipForward: forward)
        }
        do {
            try TopologyLimits.check(sources)
        } catch {
            throw CaptureError.topology("\(error)")
        }
        return sources
    }

    /// Reads and parses in one go.
    public static func discover(namespaces: [String?]) throws -> Topology {
        try topology(sources(namespaces: namespaces))
    }

    /// Parses what `sources` read.
    public static func topology(_ sources: [NamespaceSources]) throws -> Topology {
        do {
            return try Topology(sources.map { s throws(TopologyError) in try s.snapshot() })
        } catch {
            throw CaptureError.topology(error.description)
        }
    }

    /// One `ip -j` run: bounded (10 s, the topology limit's worth of output), its stderr in the error.
    static func run(_ argv: [String]) throws -> Data {
        let r: SubprocessOutput
        do {
            r = try Subprocess.run(argv, outputLimit: TopologyLimits.blockBytes + 1, timeout: 10)
        } catch {
            throw CaptureError.topology("\(error)")
        }
        guard r.succeeded else {
            throw CaptureError.topology("\(argv.joined(separator: " ")) failed (\(r.termination)): \(r.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard !r.truncated else { throw CaptureError.topology("\(argv.joined(separator: " ")): more output than a topology block may hold") }
        return Data(r.stdout)
    }
}
