import Foundation
import HoptraceSystem
import Testing

/// A real container engine confined to namespaces of its own (`scripts/engine-lab`): dockerd in
/// htdkhost, podman in htpmhost, each with a "remote host" behind enX0. Always torn down.
struct EngineLab {
    let engine: String
    /// `scripts/engine-lab env` as read: HT_HOST_NETNS, HT_API_SOCKET, HT_CLI, HT_IMAGE, …
    let env: [String: String]

    var host: String { env["HT_HOST_NETNS"] ?? "" }
    var remote: String { env["HT_REMOTE_NETNS"] ?? "" }
    var socket: String { env["HT_API_SOCKET"] ?? "" }
    var image: String { env["HT_IMAGE"] ?? "" }
    /// `--docker-host` for hoptrace: the lab's engine API.
    var dockerHost: [String] { ["--docker-host", "unix://" + socket] }

    static let script = Hoptrace.packageRoot.appendingPathComponent("scripts/engine-lab").path

    /// The engine's packages are installed (scripts/install-engines; CI runs it).
    static func installed(_ engine: String) -> Bool {
        let tools = engine == "docker" ? ["/usr/bin/docker", "/usr/sbin/dockerd"] : ["/usr/bin/podman", "/usr/lib/podman/netavark"]
        return (tools + ["/bin/busybox"]).allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func reason(_ engine: String) -> Comment {
        "needs root and \(engine) installed ('scripts/install-engines' installs it without starting any daemon)"
    }

    /// Under CI the engines must be there: a skip would hide every engine test.
    static func ciRequires(_ engine: String) {
        if ProcessInfo.processInfo.environment["CI"] == "true" && !(installed(engine) && Privilege.isRoot) {
            Issue.record("CI=true but \(engine) is not installed or not root: the engine tests must run, not skip")
        }
    }

    /// Brings the engine up, runs `body`, and tears everything down, also when it throws.
    static func with(_ engine: String, _ body: (EngineLab) throws -> Void) throws {
        defer { _ = try? Hoptrace.exec([script, "down", engine]) }
        let up = try Hoptrace.exec([script, "up", engine])
        guard up.status == 0 else { throw TestFailure("engine-lab up \(engine) failed: \(up.stderr)") }
        let out = try Hoptrace.exec([script, "env", engine])
        var env: [String: String] = [:]
        for line in out.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
            }
            env[String(line[..<eq])] = value
        }
        try body(EngineLab(engine: engine, env: env))
    }

    /// The engine's CLI (a wrapper that reaches this lab's daemon), checked.
    @discardableResult
    func cli(_ args: [String]) throws -> Hoptrace.Output {
        let r = try Hoptrace.exec([env["HT_CLI"] ?? "/nonexistent"] + args)
        guard r.status == 0 else { throw TestFailure("\(engine) \(args.joined(separator: " ")) failed: \(r.stderr)") }
        return r
    }

    /// `run -d --name NAME … IMAGE COMMAND`.
    func runContainer(_ name: String, options: [String] = [], _ command: [String]) throws {
        try cli(["run", "-d", "--name", name] + (engine == "podman" ? ["--pull", "never"] : []) + options + [image] + command)
    }

    /// `web` (running `sleep`) pings the remote while `--container web` watches: its ICMP flow, as it ended.
    func containerPingFlow() throws -> [String: Any] {
        try runContainer("web", ["sleep", "600"])
        let lines = try watch(["--container", "web", "-i", "\(remote):enX0", "--flows", "--stats-interval", "60"] + dockerHost + ["--", "icmp"]) {
            try cli(["exec", "web", "ping", "-c", "2", "172.31.45.174"])
        }
        return try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "icmp" }, "\(lines)")
    }

    /// `web` (httpd, `-p 8080:80`) fetched from the remote at the host's 8080: the page and the TCP flow, as it ended.
    func publishedPortFlow() throws -> (page: String, flow: [String: Any]) {
        try runContainer("web", options: ["-p", "8080:80"], ["httpd", "-f", "-p", "80", "-h", "/www"])
        var page = ""
        let lines = try watch(["--container", "web", "-i", "\(remote):enX0", "--flows", "--stats-interval", "60"] + dockerHost
                              + ["--", "tcp", "port", "8080", "or", "tcp", "port", "80"]) {
            page = try fetchFromRemote("172.31.39.53", port: 8080)
        }
        return (page, try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "tcp" }, "\(lines)"))
    }

    /// The remote host fetches `http://ADDR:PORT/` (bash's /dev/tcp: no curl needed).
    func fetchFromRemote(_ address: String, port: Int) throws -> String {
        let script = "exec 3<>/dev/tcp/\(address)/\(port); printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; timeout 5 cat <&3"
        return try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", remote, "/bin/bash", "-c", script]).stdout
    }
}

/// `watch --flows` lines' final state per flow, as JSON objects.
func finalFlowObjects(_ lines: [String]) throws -> [[String: Any]] {
    var last: [Int: [String: Any]] = [:]
    for line in lines where line.contains(#""type":"flow""#) {
        let o = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        if let id = o["flow"] as? Int { last[id] = o }
    }
    return last.keys.sorted().compactMap { last[$0] }
}

/// A flow's hops on one leg, as NETNS:IFACE.
func hopPoints(_ f: [String: Any], leg: String) -> [String] {
    (f["hops"] as? [[String: Any]] ?? []).filter { $0["leg"] as? String == leg }
        .map { "\($0["netns"] as? String ?? "-"):\($0["iface"] as? String ?? "?")" }
}

/// The flow's NAT holds a rewrite of this kind whose `field` address starts with `prefix` (the
/// engine's container subnet) on the container's side.
func hasNAT(_ f: [String: Any], _ kind: String, containerSide prefix: String, other: String? = nil) -> Bool {
    (f["nat"] as? [[String: Any]] ?? []).contains { n in
        guard n["kind"] as? String == kind else { return false }
        let inside = kind == "snat" ? n["from"] as? String : n["to"] as? String
        let outside = kind == "snat" ? n["to"] as? String : n["from"] as? String
        return inside?.hasPrefix(prefix) == true && (other == nil || outside == other)
    }
}
