import Foundation
import HoptraceCore

/// Reads the watched namespaces' links, addresses, routes, namespace ids and
/// ip_forward the way a user would (`ip -j …`). The raw outputs are kept
/// (`NamespaceSources`): a recording carries them, and they parse into a `Topology`.
/// A named namespace is addressed with `ip -n NAME`; one given by path with
/// `nsenter --net=PATH`; nil is the current namespace.
public enum TopologyDiscovery {
    /// Every namespace's sources, within `TopologyLimits`: past a limit this throws, the run
    /// goes on without hop paths, and nothing is recorded that a replay would refuse.
    public static func sources(namespaces: [String?]) throws -> [NamespaceSources] {
        let sources: [NamespaceSources] = try namespaces.map { ns in
            func ip(_ args: [String]) throws -> [UInt8] {
                let argv: [String]
                switch ns {
                case nil: argv = ["ip", "-j"] + args
                case let path? where path.hasPrefix("/"): argv = ["nsenter", "--net=" + path, "ip", "-j"] + args
                case let name?: argv = ["ip", "-n", name, "-j"] + args
                }
                return Array(try run(argv))
            }
            let path = ns.map { $0.hasPrefix("/") ? $0 : "/run/netns/" + $0 }
            let forward = (try? NetnsThread.run(in: path) {
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

    static func run(_ argv: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw CaptureError.topology("\(argv.joined(separator: " ")): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CaptureError.topology("\(argv.joined(separator: " ")) failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return data
    }
}
