import Foundation
import HoptraceSystem
import Testing

/// The kernel's drop counters as a verdict's evidence, on the live lab: a cause hoptrace infers
/// (ip_forward=0, reverse-path filtering) is stated once the counter for exactly that drop moved
/// in the namespace, and called ambiguous when other traffic moved it too.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct CountedEvidenceIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    func icmpFlow(_ p: String, state: String = "vanished", proto: String = "icmp", duration: Int = 6,
                  during action: () throws -> Void) throws -> [String: Any] {
        let lines = try watch(["--lab", "--prefix", p, "--flows", "--stats-interval", "60", "--", proto], duration: duration, during: action)
        return try #require(try finalFlowObjects(lines).last { $0["proto"] as? String == proto && ($0["verdict"] as? [String: Any])?["state"] as? String == state },
                            "\(lines)")
    }

    /// The host–remote link at 1300 bytes: a 1428-byte packet with DF set no longer fits.
    func lowerUplinkMTU(_ p: String) throws {
        for ns in [p + "host", p + "remote"] {
            #expect(try Hoptrace.exec(["/usr/sbin/ip", "-n", ns, "link", "set", "enX0", "mtu", "1300"]).status == 0)
        }
    }

    /// The kernel's drop reason shown beside the count: "IP_RPFILTER ×3 in ip_rcv_finish_core".
    func traced(_ reason: String, in why: String) -> Bool {
        guard let r = why.range(of: "; the kernel's drop reasons meanwhile (machine-wide, not tied to this flow): ") else { return false }
        return why[r.upperBound...].contains("\(reason) ×")
    }

    /// "Ip.InAddrErrors +3 in …": the count cited.
    func cited(_ key: String, in why: String) -> Int? {
        guard let r = why.range(of: key + #" \+(\d+) in "#, options: .regularExpression) else { return nil }
        return Int(why[r].dropFirst(key.count + 2).prefix { $0.isNumber })
    }

    @Test func ipForwardOffIsCountedByInAddrErrors() throws {
        try withLab("kf", scenario: "S2") { p throws in
            #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            let f = try icmpFlow(p) { _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "3"]) }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(v["evidence"] as? String == "counted", "\(v)")
            #expect(why.contains("counted: Ip.InAddrErrors +") && why.contains(" in \(p)host while "), "\(why)")
            let n = try #require(cited("Ip.InAddrErrors", in: why), "\(why)")
            #expect((1...3).contains(n), "no more than the pings sent: \(why)")
            #expect(v["fix"] as? String == "ip netns exec \(p)host sysctl -w net.ipv4.ip_forward=1", "\(v)")
            #expect(traced("IP_INADDRERRORS", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func unrelatedDropsInTheWindowMakeTheCountAmbiguous() throws {
        try withLab("ka", scenario: "S2") { p throws in
            #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            let f = try icmpFlow(p) {
                let ping = try Subprocess.launch(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-q", "-c", "1", "-W", "1", "172.31.45.174"], stdin: .inherit)
                // UDP hoptrace does not watch (its filter is icmp), dropped by the same counter meanwhile.
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "/bin/bash", "-c",
                                       "for i in $(seq 20); do echo x > /dev/udp/172.31.45.174/9; done"])
                ping.wait()
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(v["evidence"] as? String == "inferred", "\(v)")
            #expect(why.contains("the count does not pin it on this flow"), "\(why)")
            #expect((cited("Ip.InAddrErrors", in: why) ?? 0) >= 21, "the ping and the 20 datagrams: \(why)")
            #expect(traced("IP_INADDRERRORS", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func aSpoofedSourceIsCountedByIPReversePathFilter() throws {
        try withLab("kr", scenario: "S2") { p throws in
            let set = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "sysctl", "-q", "-w",
                                         "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.docker1.rp_filter=1"])
            #expect(set.status == 0, "\(set.stderr)")
            // An echo request from 10.99.0.5, an address hthost routes out enX0, not back through docker1.
            let spoof = """
                import socket, struct
                def csum(b):
                    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); return ~(s + (s >> 16)) & 0xffff
                icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'hoptrace' * 4
                icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
                s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
                for seq in range(3):
                    body = icmp[:6] + struct.pack('!H', seq + 1) + icmp[8:]
                    body = body[:2] + b'\\0\\0' + body[4:]; body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
                    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 0x1000 + seq, 0, 64, 1, 0,
                                     socket.inet_aton('10.99.0.5'), socket.inet_aton('172.31.45.174'))
                    s.sendto(ip + body, ('172.31.45.174', 0))
                """
            let f = try icmpFlow(p) {
                let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "python3", "-c", spoof])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect((f["orig"] as? [String: Any])?["src"] as? String == "10.99.0.5", "\(f)")
            #expect(v["at"] as? String == "\(p)host:docker1", "\(v)")
            #expect(v["evidence"] as? String == "counted", "\(v)")
            #expect(why.hasPrefix("dropped by reverse-path filtering in \(p)host"), "the rule's 'likely' went: \(why)")
            #expect(why.contains("counted: TcpExt.IPReversePathFilter +3 in \(p)host while "), "\(why)")
            #expect(traced("IP_RPFILTER", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func aTTLThatRunsOutIsSaidWhereAndCountedThere() throws {
        try withLab("kt", scenario: "S2") { p throws in
            // ns1 → host (a router: TTL 1 reaches 0 there) → remote.
            let f = try icmpFlow(p, state: "icmp-error") {
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "3", "-i", "0.3", "-t", "1", "172.31.45.174"])
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(why.hasPrefix("the request's TTL ran out in \(p)host, which dropped it and answered ICMP TTL exceeded in transit (sent with TTL 1 from \(p)ns1)"), "\(v)")
            #expect(v["evidence"] as? String == "counted", "\(v)")
            let n = try #require(cited("Ip.InHdrErrors", in: why), "\(why)")
            #expect((1...3).contains(n), "\(why)")
            #expect(traced("IP_INHDR", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func aPacketTooBigForALinkIsSaidAndCountedByFragFails() throws {
        try withLab("km", scenario: "S2") { p throws in
            try lowerUplinkMTU(p)
            // 1428 bytes with Don't Fragment set over a 1300-byte link.
            let f = try icmpFlow(p, state: "icmp-error") {
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "1", "-M", "do", "-s", "1400", "172.31.45.174"])
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(why.hasPrefix("the request was too big for the next link in \(p)host with Don't Fragment set: it was dropped and 172.18.0.1 answered ICMP fragmentation needed"), "\(v)")
            #expect(v["evidence"] as? String == "counted" && cited("Ip.FragFails", in: why) == 1, "\(v)")
            #expect(traced("PKT_TOO_BIG", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func anInvalidPacketDroppedByAnInvalidRuleIsNamedByConntracksCount() throws {
        try withLab("ki", scenario: "S2") { p throws in
            let rule = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "iptables", "-I", "FORWARD",
                                          "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"])
            #expect(rule.status == 0, "\(rule.stderr)")
            // SYN+FIN: no TCP state accepts it, so conntrack calls it INVALID.
            let synFin = """
                import socket, struct
                def csum(b):
                    if len(b) % 2: b += b'\\0'
                    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); return ~(s + (s >> 16)) & 0xffff
                src, dst = socket.inet_aton('172.18.0.3'), socket.inet_aton('172.31.45.174')
                s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
                for i in range(3):
                    tcp = struct.pack('!HHIIBBHHH', 40000, 80, 1000 + i, 0, 5 << 4, 0x03, 512, 0, 0)
                    tcp = tcp[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
                    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0x2000 + i, 0, 64, 6, 0, src, dst)
                    s.sendto(ip + tcp, ('172.31.45.174', 0))
                """
            let f = try icmpFlow(p, proto: "tcp") {
                let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "python3", "-c", synFin])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(v["at"] as? String == "\(p)host:docker1", "\(v)")
            #expect(why.contains("; counted: nf_conntrack.invalid +") && why.contains(" in \(p)host while "), "\(why)")
            #expect(why.contains("INVALID, dropped only by a rule that drops INVALID"), "\(why)")
            #expect((1...3).contains(cited("nf_conntrack.invalid", in: why) ?? 0), "\(why)")
            #expect(traced("NETFILTER_DROP", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func aPMTUBlackHoleIsCountedByFragFails() throws {
        try withLab("kb", scenario: "S2") { p throws in
            try lowerUplinkMTU(p)
            // The router's answer never leaves it: the sender never learns the smaller MTU.
            let drop = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "iptables", "-A", "OUTPUT",
                                          "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP"])
            #expect(drop.status == 0, "\(drop.stderr)")
            let f = try icmpFlow(p) {
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "3", "-i", "0.3", "-W", "1",
                                       "-M", "do", "-s", "1400", "172.31.45.174"])
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(v["at"] as? String == "\(p)host:docker1" && v["evidence"] as? String == "counted", "\(v)")
            #expect(why.contains("; counted: Ip.FragFails +") && why.contains("a PMTU black hole (ICMP dropped on the way back)"), "\(why)")
            #expect((1...3).contains(cited("Ip.FragFails", in: why) ?? 0), "\(why)")
            #expect(traced("PKT_TOO_BIG", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    @Test func noRouteAtARouterIsCountedByInNoRoutes() throws {
        try withLab("kn", scenario: "S2") { p throws in
            // The lab's host has no default route: 203.0.113.9 has no route there.
            let f = try icmpFlow(p, state: "unreplied") {
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "3", "-i", "0.3", "-W", "1", "203.0.113.9"])
            }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(why.hasPrefix("\(p)host has no route to 203.0.113.9 (it drops what it is handed and answers ICMP network unreachable, rate-limited)"), "\(v)")
            #expect(v["evidence"] as? String == "counted", "\(v)")
            #expect((1...3).contains(cited("IpExt.InNoRoutes", in: why) ?? 0), "\(why)")
            #expect(traced("IP_INNOROUTES", in: why), "the kernel's reason beside the count: \(why)")
        }
    }

    /// Fills a namespace's conntrack table (nf_conntrack_max is the machine's and read-only
    /// inside a namespace, but the count is per namespace): assured UDP entries created over
    /// ctnetlink, which early_drop cannot evict, as many as the limit allows, and nothing else.
    static let fillConntrack = """
        import socket, struct
        def attr(t, payload):
            l = 4 + len(payload)
            return struct.pack('=HH', l, t) + payload + b'\\0' * ((4 - l % 4) % 4)
        def nest(t, *children): return attr(t | 0x8000, b''.join(children))
        def tup(t, src, dst, sport, dport):
            return nest(t, nest(1, attr(1, src), attr(2, dst)),
                        nest(2, attr(1, bytes([17])), attr(2, struct.pack('!H', sport)), attr(3, struct.pack('!H', dport))))
        def msg(seq, src, dst, sport, dport):
            # status SEEN_REPLY | ASSURED | CONFIRMED, timeout 600 s
            body = struct.pack('=BBH', socket.AF_INET, 0, 0) + tup(1, src, dst, sport, dport) + tup(2, dst, src, dport, sport) \\
                + attr(3, struct.pack('!I', 0x2 | 0x4 | 0x8)) + attr(7, struct.pack('!I', 600))
            # IPCTNL_MSG_CT_NEW, NLM_F_REQUEST | NLM_F_EXCL | NLM_F_CREATE
            return struct.pack('=IHHII', 16 + len(body), 1 << 8, 0x1 | 0x200 | 0x400, seq, 0) + body
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
        s.bind((0, 0))
        # Flushed first (IPCTNL_MSG_CT_DELETE without a tuple, NLM_F_REQUEST | NLM_F_ACK): an entry
        # left that is not ASSURED (an IPv6 multicast report, say) can be early-dropped to make
        # room for a ping, now and then, and the table would not stay full.
        for family in (socket.AF_INET, socket.AF_INET6):
            s.send(struct.pack('=IHHII', 20, 1 << 8 | 2, 0x1 | 0x4, 0, 0) + struct.pack('=BBH', family, 0, 0))
            s.recv(65536)
        need = int(open('/proc/sys/net/netfilter/nf_conntrack_max').read()) - int(open('/proc/sys/net/netfilter/nf_conntrack_count').read())
        dst, batch = socket.inet_aton('10.251.0.1'), []
        for i in range(need + 64):
            batch.append(msg(i, struct.pack('!I', 0x0AFA0000 + (i & 0xFFFF)), dst, 1024 + (i >> 16), 9))
            if len(batch) == 128:
                s.send(b''.join(batch)); batch = []
                try:
                    while s.recv(65536, socket.MSG_DONTWAIT): pass
                except BlockingIOError: pass
        if batch: s.send(b''.join(batch))
        """

    @Test func aFullConntrackTableIsCountedByItsDrops() throws {
        try withLab("kc", scenario: "S2") { p throws in
            let fill = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "python3", "-c", Self.fillConntrack])
            #expect(fill.status == 0, "\(fill.stderr)")
            let sysctl = "/proc/sys/net/netfilter/"
            let levels = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "cat", sysctl + "nf_conntrack_count", sysctl + "nf_conntrack_max"])
            let numbers = levels.stdout.split(separator: "\n").compactMap { Int($0) }
            try #require(numbers.count == 2 && numbers[0] == numbers[1], "the table is full: \(levels.stdout)")
            // Longer than the others: the start hands on the table's first 8192 entries as flows,
            // which a debug build on a loaded CI machine takes seconds for.
            let f = try icmpFlow(p, duration: 15) { _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "3"]) }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(why.hasPrefix("dropped because \(p)host's conntrack table is full (\(numbers[1]) of \(numbers[1]) entries)"), "the rule's 'likely' went: \(v)")
            #expect(v["evidence"] as? String == "counted", "\(v)")
            #expect((1...3).contains(cited("nf_conntrack.drop", in: why) ?? 0), "\(why)")
            #expect(v["fix"] as? String == "sysctl -w net.netfilter.nf_conntrack_max=\(numbers[1] * 2)", "machine-wide, so on the host: \(v)")
        }
    }
}
