import Foundation
import Testing

/// Real podman with netavark (scripts/engine-lab podman), reached through its Docker-compatible
/// API service: the same container cases as Docker's, on podman0.
@Suite(.serialized, .enabled(if: Privilege.isRoot && EngineLab.installed("podman"), EngineLab.reason("podman")))
struct PodmanEngineIntegrationTests {
    init() { EngineLab.ciRequires("podman") }

    @Test func containerPingIsSnattedOnTheUplinkAndRepliedHopByHop() throws {
        try EngineLab.with("podman") { lab in
            try lab.runContainer("web", ["sleep", "600"])
            let lines = try watch(["--container", "web", "-i", "\(lab.remote):enX0", "--flows", "--stats-interval", "60"] + lab.dockerHost + ["--", "icmp"]) {
                try lab.cli(["exec", "web", "ping", "-c", "2", "172.31.45.174"])
            }
            let f = try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "icmp" }, "\(lines)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            let nat = f["nat"] as? [[String: Any]] ?? []
            #expect(nat.contains { $0["kind"] as? String == "snat" && ($0["from"] as? String)?.hasPrefix("10.88.0.") == true
                && $0["to"] as? String == "172.31.39.53" }, "\(nat)")
            let request = hopPoints(f, leg: "request")
            #expect(request == ["web:eth0", "htpmhost:veth0", "htpmhost:podman0", "htpmhost:enX0", "htpmremote:enX0"], "\(request)")
            #expect(hopPoints(f, leg: "reply") == request.reversed())
        }
    }

    @Test func publishedPortReachedFromTheRemoteIsDnattedAndReplied() throws {
        try EngineLab.with("podman") { lab in
            try lab.runContainer("web", options: ["-p", "8080:80"], ["httpd", "-f", "-p", "80", "-h", "/www"])
            var page = ""
            let lines = try watch(["--container", "web", "-i", "\(lab.remote):enX0", "--flows", "--stats-interval", "60"] + lab.dockerHost
                                  + ["--", "tcp", "port", "8080", "or", "tcp", "port", "80"]) {
                page = try lab.fetchFromRemote("172.31.39.53", port: 8080)
            }
            #expect(page.contains("hello"), "the page came back: \(page)")
            let f = try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "tcp" }, "\(lines)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            let nat = f["nat"] as? [[String: Any]] ?? []
            #expect(nat.contains { $0["kind"] as? String == "dnat" && ($0["to"] as? String)?.hasPrefix("10.88.0.") == true }, "\(nat)")
            let request = hopPoints(f, leg: "request")
            #expect(request.first == "htpmremote:enX0" && request.last == "web:eth0", "\(request)")
        }
    }
}
