import Foundation
import Testing

/// Real podman with netavark (scripts/engine-lab podman), reached through its Docker-compatible
/// API service: the same container cases as Docker's, on podman0.
@Suite(.serialized, .enabled(if: Privilege.isRoot && EngineLab.installed("podman"), EngineLab.reason("podman")))
struct PodmanEngineIntegrationTests {
    init() { EngineLab.ciRequires("podman") }

    @Test func containerPingIsSnattedOnTheUplinkAndRepliedHopByHop() throws {
        try EngineLab.with("podman") { lab in
            let f = try lab.containerPingFlow()
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect(hasNAT(f, "snat", containerSide: "10.88.0.", other: "172.31.39.53"), "\(f)")
            let request = hopPoints(f, leg: "request")
            #expect(request == ["web:eth0", "htpmhost:veth0", "htpmhost:podman0", "htpmhost:enX0", "htpmremote:enX0"], "\(request)")
            #expect(hopPoints(f, leg: "reply") == request.reversed())
        }
    }

    @Test func publishedPortReachedFromTheRemoteIsDnattedAndReplied() throws {
        try EngineLab.with("podman") { lab in
            let (page, f) = try lab.publishedPortFlow()
            #expect(page.contains("hello"), "the page came back: \(page)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect(hasNAT(f, "dnat", containerSide: "10.88.0."), "\(f)")
            let request = hopPoints(f, leg: "request")
            #expect(request.first == "htpmremote:enX0" && request.last == "web:eth0", "\(request)")
        }
    }
}
