import Foundation
import Testing

/// `hoptrace watch` on the live lab: real pcap handles in four namespaces, a real ping.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct WatchIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    @Test func s2PingIsSeenOnEveryHopWithTheSnatSourceAndItsConntrackEvents() throws {
        try withLab("wa", scenario: "S2") { prefix throws in
            let lines = try watch(["--lab", "--prefix", prefix, "--", "icmp"]) { () throws in
                #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
            }
            func seen(_ point: String, _ what: String) -> Bool { lines.contains { $0.contains(" \(prefix)\(point) ") && $0.contains(what) } }
            let request = "172.18.0.3 > 172.31.45.174: ICMP echo request"
            let natted = "172.31.39.53 > 172.31.45.174: ICMP echo request"
            #expect(seen("ns1:eth0", "out IP " + request), "\(lines)")
            #expect(seen("host:veth1", request))
            #expect(seen("host:docker1", "in IP " + request))
            #expect(seen("host:enX0", "out IP " + natted))
            #expect(seen("remote:enX0", "in IP " + natted))
            #expect(seen("remote:enX0", "out IP 172.31.45.174 > 172.31.39.53: ICMP echo reply"))
            #expect(seen("ns1:eth0", "in IP 172.31.45.174 > 172.18.0.3: ICMP echo reply"))

            // conntrack in the host namespace: NEW [UNREPLIED], then UPDATE, same ICMP id, reply to the SNAT address.
            let events = lines.filter { $0.contains(" \(prefix)host conntrack ") }
            let pattern = #/\[(NEW|UPDATE)\] icmp 1 \d+ src=172\.18\.0\.3 dst=172\.31\.45\.174 type=8 code=0 id=(\d+)( \[UNREPLIED\])? src=172\.31\.45\.174 dst=172\.31\.39\.53 type=0 code=0 id=(\d+)/#
            let matches = events.compactMap { $0.firstMatch(of: pattern) }
            #expect(matches.map { String($0.1) } == ["NEW", "UPDATE"], "\(events)")
            #expect(matches.first?.3 != nil && matches.last?.3 == nil, "NEW is unreplied, UPDATE is not")
            #expect(Set(matches.flatMap { [String($0.2), String($0.4)] }).count == 1, "one ICMP id throughout")
        }
    }

    @Test func s7HandshakeAndDnatTuples() throws {
        try withLab("wd", scenario: "S7") { prefix throws in
            let lines = try watch(["-i", "\(prefix)host:enX0", "-i", "\(prefix)host:docker1", "--", "tcp", "port", "80"]) { () throws in
                #expect(try Hoptrace.run(["lab", "connect", "--prefix", prefix, "--port", "80"]).status == 0)
            }
            let syn = #/ in IP 172\.31\.45\.174\.(\d+) > 172\.31\.39\.53\.80: Flags \[S\]/#
            let onUplink = lines.filter { $0.contains(" \(prefix)host:enX0 ") }
            guard let port = onUplink.lazy.compactMap({ $0.firstMatch(of: syn) }).first?.1 else {
                Issue.record("no SYN on enX0: \(lines)")
                return
            }
            #expect(lines.contains { $0.contains("\(prefix)host:docker1 out IP 172.31.45.174.\(port) > 172.18.0.3.80: Flags [S]") })
            #expect(lines.contains { $0.contains("\(prefix)host:docker1 in IP 172.18.0.3.80 > 172.31.45.174.\(port): Flags [S.]") })
            #expect(lines.contains { $0.contains("\(prefix)host:enX0 out IP 172.31.39.53.80 > 172.31.45.174.\(port): Flags [S.]") })
            let dnat = "src=172.31.45.174 dst=172.31.39.53 sport=\(port) dport=80 [UNREPLIED] src=172.18.0.3 dst=172.31.45.174 sport=80 dport=\(port)"
            #expect(lines.contains { $0.contains("conntrack [NEW] tcp 6") && $0.contains("SYN_SENT " + dnat) }, "\(lines)")
            #expect(lines.contains { $0.contains("conntrack [UPDATE] tcp 6") && $0.contains("ESTABLISHED") && $0.contains("[ASSURED]") })
        }
    }

    @Test func s2AsNDJSON() throws {
        try withLab("wj", scenario: "S2") { prefix throws in
            let lines = try watch(["--lab", "--prefix", prefix, "--json", "--stats-interval", "2", "--", "icmp"]) { () throws in
                #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
            }
            let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not JSON: \($0)") }
            let packets = objects.filter { $0["type"] as? String == "packet" }
            func hop(_ netns: String, _ iface: String, _ src: String) -> Bool {
                packets.contains {
                    $0["netns"] as? String == prefix + netns && $0["iface"] as? String == iface && $0["src"] as? String == src
                        && ($0["icmp"] as? [String: Any])?["type"] as? Int == 8 && $0["proto"] as? String == "icmp"
                }
            }
            #expect(hop("ns1", "eth0", "172.18.0.3") && hop("host", "veth1", "172.18.0.3") && hop("host", "docker1", "172.18.0.3"))
            #expect(hop("host", "enX0", "172.31.39.53") && hop("remote", "enX0", "172.31.39.53"))
            // The capture filter does not reach conntrack: the bridge's own IGMP reports (sent at
            // random times after it gets its address) may have an entry too. The ping's are ICMP.
            let ct = objects.filter { $0["type"] as? String == "conntrack" && $0["proto"] as? String == "icmp" }
            #expect(ct.map { $0["event"] as? String } == ["new", "update"], "\(lines.filter { $0.contains("\"type\":\"conntrack\"") })")
            let orig = ct.first?["orig"] as? [String: Any], reply = ct.first?["reply"] as? [String: Any]
            #expect(orig?["src"] as? String == "172.18.0.3" && orig?["dst"] as? String == "172.31.45.174")
            #expect(reply?["src"] as? String == "172.31.45.174" && reply?["dst"] as? String == "172.31.39.53")
            #expect((ct.last?["status"] as? [String])?.contains("SEEN_REPLY") == true)
            for o in objects { #expect((o["time"] as? String)?.hasSuffix("Z") == true) }
            // The last stats line counts the ping's two packets at every point, none dropped by the kernel.
            let stats = try #require(objects.last { $0["type"] as? String == "stats" }, "no stats line")
            let points = stats["points"] as? [[String: Any]] ?? []
            #expect(points.count == 5)
            for p in points {
                #expect((p["received"] as? Int ?? 0) >= 2, "\(p)")
                #expect(p["dropped"] as? Int == 0)
            }
        }
    }

    @Test func aVanishingInterfaceIsReportedAndTheOthersKeepCapturing() throws {
        try withLab("wv", scenario: "S2") { prefix throws in
            let lines = try watch(["-i", "\(prefix)host:veth0", "-i", "\(prefix)host:enX0", "--", "icmp"]) { () throws in
                _ = try Hoptrace.exec(["/usr/sbin/ip", "-n", "\(prefix)host", "link", "del", "veth0"])
                usleep(300_000)
                #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
            }
            #expect(lines.contains("hoptrace: capture point \(prefix)host:veth0 is gone (The interface disappeared); the others keep running"), "\(lines)")
            #expect(lines.contains { $0.contains("\(prefix)host:enX0 out IP 172.31.39.53 > 172.31.45.174: ICMP echo request") })
        }
    }

    @Test func entriesAlreadyInTheTableAppearAtStart() throws {
        try withLab("we", scenario: "S2") { prefix throws in
            #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
            let r = try Hoptrace.run(["watch", "-i", "\(prefix)host:enX0", "--json", "--duration", "1", "--", "icmp"])
            let existing = r.stdout.split(separator: "\n").filter { $0.contains(#""event":"existing""#) }
            #expect(existing.contains { $0.contains(#""orig":{"src":"172.18.0.3","dst":"172.31.45.174","icmp":{"type":8"#) }, "\(r.stdout)")
        }
    }

    /// IPv6 conntrack entries are reported like IPv4 ones (they were once skipped) and join the packets' flow.
    @Test func ipv6ConntrackEventsCarryTheirTuplesAndJoinThePacketsFlow() throws {
        try withLab("w6", scenario: "S2") { prefix throws in
            let host = "\(prefix)host", remote = "\(prefix)remote"
            _ = try Hoptrace.exec(["/usr/sbin/ip", "-n", host, "addr", "add", "fd00:68::1/64", "dev", "enX0", "nodad"])
            _ = try Hoptrace.exec(["/usr/sbin/ip", "-n", remote, "addr", "add", "fd00:68::2/64", "dev", "enX0", "nodad"])
            // A rule that needs conntrack makes the namespace track IPv6 at all.
            _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/ip6tables", "-A", "OUTPUT",
                                   "-m", "conntrack", "--ctstate", "NEW,ESTABLISHED", "-j", "ACCEPT"])
            let lines = try watch(["-i", "\(host):enX0", "--json", "--", "icmp6"]) { () throws in
                let ping = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", host, "/usr/bin/ping", "-6", "-c", "1", "-W", "2", "fd00:68::2"])
                #expect(ping.status == 0, "\(ping.stdout)\(ping.stderr)")
            }
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let ct = objects.filter { $0["type"] as? String == "conntrack" && $0["proto"] as? String == "icmp6" }
            let new = try #require(ct.first { $0["event"] as? String == "new" }, "no IPv6 conntrack NEW in \(lines)")
            let orig = new["orig"] as? [String: Any], reply = new["reply"] as? [String: Any]
            #expect(orig?["src"] as? String == "fd00:68::1" && orig?["dst"] as? String == "fd00:68::2")
            #expect(reply?["src"] as? String == "fd00:68::2" && reply?["dst"] as? String == "fd00:68::1")
            #expect((orig?["icmp"] as? [String: Any])?["type"] as? Int == 128 && (reply?["icmp"] as? [String: Any])?["type"] as? Int == 129)
            let request = try #require(objects.first {
                $0["type"] as? String == "packet" && $0["dst"] as? String == "fd00:68::2" && ($0["icmp"] as? [String: Any])?["type"] as? Int == 128
            }, "no echo request packet")
            #expect(request["flow"] as? Int != nil && request["flow"] as? Int == new["flow"] as? Int)
        }
    }

    /// hoptrace stopped while a flood fills its 1 MiB capture buffers: the kernel's drops
    /// are reported, and journeys missing where the capture dropped packets are not
    /// blamed on the network (no `vanished`).
    @Test func captureLossIsReportedAndNotMistakenForADrop() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ht-loss-\(UUID().uuidString).pcapng").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try withLab("wl", scenario: "S2") { prefix throws in
            let lines = try watch(["--lab", "--prefix", prefix, "--json", "--buffer-size", "1", "--loss-timeout", "0.5", "-w", file, "--", "icmp"]) { () throws in
                let me = "watch --duration 6 --lab --prefix \(prefix) "
                #expect(try Hoptrace.exec(["/usr/bin/pkill", "-STOP", "-f", me]).status == 0)
                let flood = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", "\(prefix)ns1", "/usr/bin/ping", "-f", "-q", "-c", "20000",
                                               "172.31.45.174"])
                _ = try Hoptrace.exec(["/usr/bin/pkill", "-CONT", "-f", me])
                #expect(flood.status == 0, "\(flood.stderr)")
            }
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let losses = objects.filter { $0["type"] as? String == "capture-loss" }
            #expect(!losses.isEmpty, "no capture-loss line: \(lines.suffix(5))")
            #expect(losses.allSatisfy { ($0["message"] as? String)?.contains("the kernel dropped") == true })
            let vanished = objects.filter { $0["type"] as? String == "flow" && ($0["verdict"] as? [String: Any])?["state"] as? String == "vanished" }
            #expect(vanished.isEmpty, "\(vanished.prefix(2))")
            // The recording carries the losses: the replay judges as the live run did.
            let replay = try Hoptrace.run(["watch", "-r", file, "--json", "--loss-timeout", "0.5"])
            #expect(replay.status == 0, "\(replay.stderr)")
            let replayed = replay.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(replayed.filter { $0["type"] as? String == "capture-loss" }.count == losses.count)
            #expect(!replayed.contains { $0["type"] as? String == "flow" && ($0["verdict"] as? [String: Any])?["state"] as? String == "vanished" })
        }
    }

    @Test func badInputGetsOneClearSentence() throws {
        let ns = try Hoptrace.run(["watch", "-i", "hti-nosuch-ns:eth0", "--count", "1"])
        #expect(ns.status != 0 && ns.stderr.contains("network namespace not found: /run/netns/hti-nosuch-ns"))
        try withLab("wb", scenario: "S2") { prefix throws in
            let iface = try Hoptrace.run(["watch", "-i", "\(prefix)host:nope0", "--count", "1"])
            #expect(iface.status != 0 && iface.stderr.contains("no such interface in namespace \(prefix)host"))
            let filter = try Hoptrace.run(["watch", "-i", "\(prefix)host:enX0", "--count", "1", "--", "icmp", "or", "bogus"])
            #expect(filter.status != 0 && filter.stderr.contains("invalid capture filter 'icmp or bogus': syntax error"))
        }
    }

    /// `-w` records the live run; `-r` replays it into the same lines; tshark reads the file and its interface names.
    @Test func recordThenReplayReproducesTheLines() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ht-rec-\(UUID().uuidString).pcapng").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try withLab("wr", scenario: "S2") { prefix throws in
            for format in ["--json", "--text"] {
                try? FileManager.default.removeItem(atPath: file)  // -w never overwrites a recording
                let live = try watch(["--lab", "--prefix", prefix, format, "-w", file, "--stats-interval", "60", "--", "icmp"]) { () throws in
                    #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
                }
                let replay = try Hoptrace.run(["watch", "-r", file, format])
                #expect(replay.status == 0, "\(replay.stderr)")
                // Packet and conntrack lines are the recording itself; flow lines are judged on
                // the live clock in one run and on the events' clock in the other, so they are
                // compared by what they conclude, not line by line.
                let isFlow = { (line: String) in line.contains(#""type":"flow""#) || line.firstMatch(of: #/^\S+ (final )?flow \d+ /#) != nil }
                let replayed = replay.stdout.split(separator: "\n").map(String.init)
                #expect(live.filter { !isFlow($0) }.count >= 12, "\(live)")  // 10 packets (5 hops, both ways) and 2 conntrack events
                #expect(replayed.filter { !isFlow($0) } == live.filter { !isFlow($0) })
                for lines in [live, replayed] {
                    // The ping's flow (the bridge's own IGMP reports may have a conntrack entry too).
                    // ("icmp" alone would match the IGMP line's `"icmp_error":0` window count.)
                    let isPing = { (line: String) in line.contains(#""proto":"icmp""#) || line.contains(" icmp ") }
                    let final = lines.last { isFlow($0) && $0.contains("final") && isPing($0) } ?? ""
                    #expect(final.contains("replied") && final.contains("172.31.39.53"), "\(final)")
                }
            }
            let tshark = try Hoptrace.exec(["/usr/bin/tshark", "-r", file, "-T", "fields", "-e", "frame.interface_name", "-e", "ip.src"])
            #expect(tshark.status == 0, "\(tshark.stderr)")
            for point in ["ns1:eth0\t172.18.0.3", "host:veth1\t172.18.0.3", "host:docker1\t172.18.0.3",
                          "host:enX0\t172.31.39.53", "remote:enX0\t172.31.39.53"] {
                #expect(tshark.stdout.contains(prefix + point), "\(point) in \(tshark.stdout)")
            }
            // Cut the file mid-block: what came before is still replayed, the error names the offset.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: file))
            let cut = try Hoptrace.run(["watch", "-r", file, "--text"])
            #expect(cut.status != 0)
            #expect(cut.stderr.contains("truncated record") && cut.stderr.contains("at byte offset"), "\(cut.stderr)")
            #expect(cut.stdout.split(separator: "\n").count >= 10)
        }
    }

    /// `--netns` finds every interface that is up in the namespace (not lo) and captures on it.
    @Test func netnsDiscoversTheInterfacesThatAreUp() throws {
        try withLab("wn", scenario: "S2") { prefix throws in
            var announced = ""
            let lines = try watch(["--netns", "\(prefix)host", "--text", "--", "icmp"]) { () throws in
                #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
            } announced: { announced = $0 }
            #expect(announced.contains("\(prefix)host:docker1, \(prefix)host:enX0, \(prefix)host:veth0, \(prefix)host:veth1;"), "\(announced)")
            #expect(!announced.contains(":lo"))
            #expect(lines.contains { $0.contains("\(prefix)host:enX0 out IP 172.31.39.53 > 172.31.45.174: ICMP echo request") })
            let none = try Hoptrace.run(["watch", "--netns", "hti-nosuch-ns", "--duration", "1"])
            #expect(none.status != 0 && none.stderr.contains("network namespace not found: /run/netns/hti-nosuch-ns"))
        }
    }

    /// A 1 KiB event socket overflows under a burst of new flows: the loss is counted and
    /// reported, and a fresh table dump brings back the entries the lost events described.
    @Test func lostConntrackEventsAreReportedAndTheTableDumpedAgain() throws {
        try withLab("wm", scenario: "S2") { prefix throws in
            let lines = try watch(["-i", "\(prefix)host:enX0", "--json", "--conntrack-buffer", "1", "--", "icmp"]) { () throws in
                // 3000 UDP datagrams from fresh sockets: 3000 new NAT flows in a fraction of a second.
                let burst = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", "\(prefix)ns1", "/bin/bash", "-c",
                                               "for i in $(seq 3000); do echo x > /dev/udp/172.31.45.174/$((10000+i)); done"])
                #expect(burst.status == 0, "\(burst.stderr)")
            }
            let lost = lines.firstIndex { $0.contains(#""type":"conntrack-lost""#) }
            #expect(lost != nil, "no overrun with a 1 KiB buffer: \(lines.count) lines")
            if let lost {
                #expect(lines[lost].contains("ENOBUFS: events lost"))
                let resynced = lines[lost...].filter { $0.contains(#""event":"existing""#) && $0.contains(#""proto":"udp""#) }
                #expect(resynced.count >= 1000, "the dump after the overrun should list the burst's flows: \(resynced.count)")
            }
        }
    }
}
