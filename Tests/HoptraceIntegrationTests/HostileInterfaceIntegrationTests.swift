import Foundation
import HoptraceCore
import Testing

/// A bridge named inside a namespace as hostilely as Linux allows (`b$(id)` + ESC `[1m`): `ip -j`
/// prints it as invalid JSON, and the namespace's topology must survive that (else its flows could
/// never be called vanished); every text line and stderr show it escaped, and the fix quotes it
/// so that pasting it names that bridge and runs nothing (issue 14, finding 5 and 6).
///
/// client (10.78.0.2) ─ea/eh─ host [bridge, 10.78.0.1; FORWARD policy drop] ─upl/dnl─ far (10.79.0.2)
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct HostileInterfaceIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    static let bridge = "b$(id)\u{1B}[1m"
    static let shown = #"b$(id)\x1b[1m"#

    @Test func aForwardDropThroughAHostileBridgeIsDiagnosedAndPrintedSafely() throws {
        let tag = "hti\(getpid() % 10000)esc"
        let client = tag + "c", host = tag + "h", far = tag + "f"
        defer { for ns in [client, host, far] { _ = try? Hoptrace.exec(["/usr/sbin/ip", "netns", "del", ns]) } }
        func ip(_ args: [String]) throws {
            let r = try Hoptrace.exec(["/usr/sbin/ip"] + args)
            guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
        }
        for ns in [client, host, far] { try ip(["netns", "add", ns]) }
        try ip(["-n", client, "link", "add", "ea", "type", "veth", "peer", "name", "eh", "netns", host])
        try ip(["-n", host, "link", "add", "upl", "type", "veth", "peer", "name", "dnl", "netns", far])
        try ip(["-n", host, "link", "add", Self.bridge, "type", "bridge"])
        try ip(["-n", host, "link", "set", "eh", "master", Self.bridge])
        try ip(["-n", client, "addr", "add", "10.78.0.2/24", "dev", "ea"])
        try ip(["-n", host, "addr", "add", "10.78.0.1/24", "dev", Self.bridge])
        try ip(["-n", host, "addr", "add", "10.79.0.1/24", "dev", "upl"])
        try ip(["-n", far, "addr", "add", "10.79.0.2/24", "dev", "dnl"])
        for (ns, dev) in [(client, "ea"), (host, "eh"), (host, Self.bridge), (host, "upl"), (far, "dnl")] {
            try ip(["-n", ns, "link", "set", dev, "up"])
        }
        try ip(["-n", client, "route", "add", "default", "via", "10.78.0.1"])
        try ip(["-n", far, "route", "add", "default", "via", "10.79.0.1"])
        for argv in [["sysctl", "-qw", "net.ipv4.ip_forward=1"], ["iptables", "-P", "FORWARD", "DROP"]] {
            let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", host] + argv)
            try #require(r.status == 0, "\(argv): \(r.stderr)")
        }

        var stderr: [String] = []
        let lines = try watch(["-i", "\(client):ea", "-i", "\(host):\(Self.bridge)", "-i", "\(host):upl", "--text", "--explain", "--", "icmp"],
                              during: {
                                  _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", client, "ping", "-c", "4", "-i", "0.4", "-W", "1", "10.79.0.2"])
                              }, announced: { stderr.append($0) })
        let all = (lines + stderr).joined(separator: "\n")
        #expect(!all.utf8.contains(0x1B), "a raw ESC reached the terminal")
        #expect(all.unicodeScalars.filter { $0 != "\n" && TerminalText.isUnsafe($0) }.isEmpty)
        #expect(!lines.contains { $0.contains("hop paths unknown") }, "the hostile name cost the namespace its topology: \(lines)")
        #expect(stderr.first?.contains("\(host):\(Self.shown)") == true, "\(stderr)")
        #expect(lines.contains { $0.contains("\(host):\(Self.shown) ") && $0.contains("ICMP echo request") }, "\(lines.joined(separator: "\n"))")
        // The correlator walked the hostile bridge: the echo requests vanished after it, before the uplink.
        let vanished = lines.filter { $0.contains("vanished") }
        #expect(vanished.contains { $0.contains("after \(host):\(Self.shown)") && $0.contains("before \(host):upl") }, "\(lines.joined(separator: "\n"))")
        // Every suggested command names the bridge ANSI-C quoted: pasted into bash, that bridge, and no $(id) runs.
        let fixes = lines.filter { $0.contains("iptables ") }
        #expect(fixes.contains { $0.contains(#"$'b$(id)\x1b[1m'"#) }, "\(lines.joined(separator: "\n"))")
        for fix in fixes where fix.contains("b$(id)") {
            #expect(fix.contains(#"$'b$(id)\x1b[1m'"#) && fix.contains("ip netns exec \(host) "), "\(fix)")
        }
    }
}
