import Foundation
import HoptraceCore
import Testing

/// Splits `text` into words as a POSIX shell would, accepting only what ShellQuote writes: bare
/// words of `A-Za-z0-9_@%+=:,./-`, `'…'` runs, `\'` outside quotes, adjacent runs forming one
/// word, single spaces between words, and bash/zsh's `$'…'` with `\\`, `\'` and `\xHH` (bytes). Anything else unquoted (`$`, `(`, `;`, `!`, `&`, `>`, a
/// newline…) gives nil: a shell would give it a meaning.
func posixWords(_ text: String) -> [String]? {
    let bare = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-".unicodeScalars)
    var words: [String] = []
    var word: String.UnicodeScalarView?
    var quoted = false
    var it = text.unicodeScalars.makeIterator()
    while let c = it.next() {
        if !quoted && c == "$" {
            guard it.next() == "'" else { return nil }
            var bytes: [UInt8] = []
            while true {
                guard let d = it.next() else { return nil }
                if d == "'" { break }
                if d != "\\" { bytes += Array(String(d).utf8); continue }
                switch it.next() {
                case "\\": bytes.append(UInt8(ascii: "\\"))
                case "'": bytes.append(UInt8(ascii: "'"))
                case "x":
                    guard let h = it.next(), let l = it.next(), let b = UInt8(String(h) + String(l), radix: 16) else { return nil }
                    bytes.append(b)
                default: return nil
                }
            }
            word = word ?? String.UnicodeScalarView()
            word!.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
        } else if quoted {
            if c == "'" { quoted = false } else { word!.append(c) }
        } else if c == "'" {
            quoted = true
            word = word ?? String.UnicodeScalarView()
        } else if c == "\\" {
            guard let escaped = it.next() else { return nil }
            word = word ?? String.UnicodeScalarView()
            word!.append(escaped)
        } else if c == " " {
            guard let w = word else { return nil }   // two spaces, or a leading one
            words.append(String(w))
            word = nil
        } else if bare.contains(c) {
            word = word ?? String.UnicodeScalarView()
            word!.append(c)
        } else {
            return nil
        }
    }
    guard !quoted, let last = word else { return nil }
    return words + [String(last)]
}

/// Issue 14, "fixes safe to paste": every suggested command is argv, shell-quoted, and enters
/// the namespace it is about.
@Suite struct SuggestedCommandTests {
    static let hostileNS = "ns'x"
    static let hostileBridge = "d$(id>&2)"
    static let nastyWords = [
        hostileBridge, hostileNS, "", " ", "a b", "!", "`id`", "x;reboot", "'", "''", "\\", "a\nb", "é",
        "=cmd", "*", "~root", "#c", "a\"b", "$HOME", "\u{1b}[2J", "-o", "RELATED,ESTABLISHED",
        "b$(id)\u{1b}[1m", "it's\u{7}", "\\\u{9b}", "\u{202e}x", "\u{1b}1",
    ]

    @Test func quotingOnlyWhenNeeded() {
        #expect(ShellQuote.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuote.quote("") == "''")
        #expect(ShellQuote.quote("172.18.0.0/24") == "172.18.0.0/24")
        #expect(ShellQuote.quote("net.ipv4.conf.all.rp_filter=2") == "net.ipv4.conf.all.rp_filter=2")
        #expect(ShellQuote.quote("RELATED,ESTABLISHED") == "RELATED,ESTABLISHED")
        // bash's history expansion would act on a bare `!` pasted interactively.
        #expect(ShellQuote.quote("!") == "'!'")
        // zsh expands a leading `=` to a command's path.
        #expect(ShellQuote.quote("=x") == "'=x'")
        #expect(ShellQuote.quote(Self.hostileBridge) == "'d$(id>&2)'")
        #expect(ShellQuote.join(["ip", "-n", "x", "link", "add", "a b"]) == "ip -n x link add 'a b'")
    }

    @Test func everyWordComesBackFromAShell() {
        let argv = ["iptables"] + Self.nastyWords
        #expect(posixWords(ShellQuote.join(argv)) == argv)
        for w in Self.nastyWords {
            #expect(posixWords(ShellQuote.quote(w)) == [w], "\(w.debugDescription)")
        }
        // The splitter refuses what it does not know (so the tests below mean something).
        #expect(posixWords("iptables -i d$(id>&2)") == nil)
        #expect(posixWords("a ! b") == nil)
    }

    /// A name a terminal would obey prints with no control character and is that exact name
    /// when pasted into bash (`$'…'`).
    @Test func namesWithControlsAreANSICQuotedAndBashReadsThemBack() throws {
        #expect(ShellQuote.quote("b$(id)\u{1b}[1m") == #"$'b$(id)\x1b[1m'"#)
        #expect(ShellQuote.quote("it's\u{7}") == #"$'it\'s\x07'"#)
        #expect(ShellQuote.quote("\u{202e}") == #"$'\xe2\x80\xae'"#)
        for w in Self.nastyWords where w.unicodeScalars.contains(where: TerminalText.isUnsafe) {
            let q = ShellQuote.quote(w)
            #expect(!q.unicodeScalars.contains(where: TerminalText.isUnsafe), "\(q)")
            let bash = Process()
            bash.executableURL = URL(fileURLWithPath: "/bin/bash")
            bash.arguments = ["-c", "printf %s " + q]
            let out = Pipe()
            bash.standardOutput = out
            try bash.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            bash.waitUntilExit()
            #expect(Array(data) == Array(w.utf8), "\(w.debugDescription) came back as \(String(decoding: data, as: UTF8.self).debugDescription)")
        }
    }

    @Test func theNamespaceComesFirst() {
        let sysctl = ["sysctl", "-w", "net.ipv4.ip_forward=1"]
        #expect(SuggestedCommand(netns: nil, sysctl).description == "sysctl -w net.ipv4.ip_forward=1")
        #expect(SuggestedCommand(netns: "hthost", sysctl).description == "ip netns exec hthost sysctl -w net.ipv4.ip_forward=1")
        #expect(SuggestedCommand(netns: "/proc/42/ns/net", sysctl).description
                == "nsenter --net=/proc/42/ns/net sysctl -w net.ipv4.ip_forward=1")
        #expect(SuggestedCommand(netns: "/run/my ns", sysctl).description
                == "nsenter '--net=/run/my ns' sysctl -w net.ipv4.ip_forward=1")
        #expect(SuggestedCommand(netns: Self.hostileNS, sysctl).description
                == #"ip netns exec 'ns'\''x' sysctl -w net.ipv4.ip_forward=1"#)
        // iproute2 enters a named namespace itself (shorter); never for a path, which `ip -n` cannot take.
        let route = ["ip", "route", "add", "default", "via", "172.18.0.1"]
        #expect(SuggestedCommand(netns: "htns1", route).description == "ip -n htns1 route add default via 172.18.0.1")
        #expect(SuggestedCommand(netns: "/proc/42/ns/net", route).description
                == "nsenter --net=/proc/42/ns/net ip route add default via 172.18.0.1")
        #expect(SuggestedCommand(netns: nil, route).description == "ip route add default via 172.18.0.1")
    }

    @Test func routesAreDeletedWordForWord() throws {
        let blackhole = Route(destination: IPPrefix(parsing: "10.0.0.0/8")!, dev: nil, kind: .blackhole)
        #expect(blackhole.words == ["blackhole", "10.0.0.0/8"])
        #expect(blackhole.description == "blackhole 10.0.0.0/8")
        let viaGateway = Route(destination: IPPrefix(parsing: "0.0.0.0/0")!, gateway: ip("172.18.0.1"), dev: "eth0")
        #expect(viaGateway.description == "default via 172.18.0.1 dev eth0")
        // A reject route stops the path: its fix deletes that route, word for word, in its namespace.
        let topology = try LabTopology.topology { snapshots in
            let i = snapshots.firstIndex(where: { $0.name == "htns1" })!
            snapshots[i].routes.insert(Route(destination: IPPrefix(parsing: "8.8.8.0/24")!, dev: nil, kind: .prohibit), at: 0)
        }
        let d = try #require(Diagnoser.diagnoseUnsent(from: "htns1", to: ip("8.8.8.8"), topology: topology))
        #expect(d.id == "reject-route")
        #expect(d.fix == "ip -n htns1 route del prohibit 8.8.8.0/24")
    }

    // MARK: hostile names

    /// The lab's topology with `hthost` named `ns'x` and its bridge `docker1` named `d$(id>&2)`,
    /// as a container (or a recording) could name them.
    static func hostileTopology() throws -> Topology {
        func data(_ file: String) throws -> Data {
            let text = String(decoding: try LabTopology.data(file), as: UTF8.self)
            return Data(text.replacingOccurrences(of: "hthost", with: hostileNS)
                .replacingOccurrences(of: "docker1", with: hostileBridge).utf8)
        }
        let snapshots = try LabTopology.names.map { ns in
            try NamespaceSnapshot(
                name: ns == "hthost" ? hostileNS : ns, linkJSON: data("\(ns).link.json"), addrJSON: data("\(ns).addr.json"),
                routeJSON: data("\(ns).route.json"), nsidJSON: data("\(ns).nsid.json"),
                ipForward: NamespaceSnapshot.parseIPForward(String(decoding: try LabTopology.data("\(ns).ip_forward"), as: UTF8.self)))
        }
        return try Topology(snapshots)
    }

    /// The flow dropped by the FORWARD policy of `ns'x`, as explain mode would have traced it.
    static func hostileContext(_ input: DiagnosisInput) throws -> DiagnosisContext {
        let drop = RuleStep(family: .ip, table: "filter", chain: "FORWARD", kind: .policy, verdict: .drop)
        return DiagnosisContext(
            input: input, topology: try hostileTopology(),
            traces: [RulePath(netns: hostileNS, steps: [drop])],
            facts: FactsBook([NamespaceFacts(netns: hostileNS, ipForward: true, bridgeNFCallIptables: true, iptablesBackend: .nft)]))
    }

    static let veth1 = CapturePoint(netns: hostileNS, iface: "veth1"), veth0 = CapturePoint(netns: hostileNS, iface: "veth0")
    static let uplink = CapturePoint(netns: hostileNS, iface: "enX0"), bridge = CapturePoint(netns: hostileNS, iface: hostileBridge)

    /// The exact argv after the shell has read the text, and the exact text.
    static func expectPastes(_ text: String?, as argv: [String], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(text == expected, sourceLocation: sourceLocation)
        #expect(text.flatMap(posixWords) == argv, sourceLocation: sourceLocation)
    }

    @Test func s5BridgeHintQuotesTheBridgeAndEntersTheNamespace() throws {
        let ns1 = CapturePoint(netns: "htns1", iface: "eth0"), ns0 = CapturePoint(netns: "htns0", iface: "eth0")
        let paths = StaticPaths(
            [.init([ns1, Self.veth1, Self.veth0, ns0], to: [IPPrefix(parsing: "172.18.0.2/32")!])],
            egress: [Self.veth1: EgressInfo(isUplink: false, bridgePortOf: Self.hostileBridge),
                     Self.veth0: EgressInfo(isUplink: false, bridgePortOf: Self.hostileBridge)])
        let run = Run(paths: paths)
        run.see(Lab.echo(Lab.ns1IP, Lab.ns0IP, id: 3, seq: 1, ipid: 40, dir: .outbound), at: ns1, 0)
        run.see(Lab.echo(Lab.ns1IP, Lab.ns0IP, id: 3, seq: 1, ipid: 40, dir: .other), at: Self.veth1, 0.05)
        run.advance(2000)
        let f = try #require(run.onlyFlow)
        Self.expectPastes(
            f.verdict.fix,
            as: ["ip", "netns", "exec", "ns'x", "iptables", "-A", "FORWARD", "-i", "d$(id>&2)", "-o", "d$(id>&2)", "-j", "ACCEPT"],
            #"ip netns exec 'ns'\''x' iptables -A FORWARD -i 'd$(id>&2)' -o 'd$(id>&2)' -j ACCEPT"#)
    }

    @Test func bridgedDropDiagnosisQuotesBothFixes() throws {
        let orig = FlowKey(proto: 1, src: Lab.ip(Lab.ns1IP), dst: Lab.ip(Lab.ns0IP), sport: 9, dport: 9)
        let c = try Self.hostileContext(DiagnosisTests.vanished(at: Self.veth1, next: Self.veth0, orig: orig))
        let d = try #require(BridgedForwardDropRule().diagnose(c))
        Self.expectPastes(
            d.fix,
            as: ["ip", "netns", "exec", "ns'x", "iptables", "-A", "FORWARD", "-i", "d$(id>&2)", "-o", "d$(id>&2)", "-j", "ACCEPT"],
            #"ip netns exec 'ns'\''x' iptables -A FORWARD -i 'd$(id>&2)' -o 'd$(id>&2)' -j ACCEPT"#)
        Self.expectPastes(
            d.alternatives.first,
            as: ["ip", "netns", "exec", "ns'x", "sysctl", "-w", "net.bridge.bridge-nf-call-iptables=0"],
            #"ip netns exec 'ns'\''x' sysctl -w net.bridge.bridge-nf-call-iptables=0"#)
        #expect(d.alternatives.count == 1)
        // The reason names the same commands, quoted the same way.
        #expect(d.reason.contains(#"(ip netns exec 'ns'\''x' iptables -A FORWARD -i 'd$(id>&2)' -o 'd$(id>&2)' -j ACCEPT)"#))
    }

    @Test func forwardDropDiagnosisQuotesDockersRule() throws {
        let c = try Self.hostileContext(DiagnosisTests.vanished(at: Self.bridge, next: Self.uplink))
        let d = try #require(ForwardDropRule().diagnose(c))
        Self.expectPastes(
            d.fix,
            as: ["ip", "netns", "exec", "ns'x", "iptables", "-A", "FORWARD", "-i", "d$(id>&2)", "!", "-o", "d$(id>&2)", "-j", "ACCEPT"],
            #"ip netns exec 'ns'\''x' iptables -A FORWARD -i 'd$(id>&2)' '!' -o 'd$(id>&2)' -j ACCEPT"#)
        // The same drop with the rule's handle: nft's own words, in the namespace.
        var handled = c
        handled.traces = [RulePath(netns: Self.hostileNS, steps: [
            RuleStep(family: .inet, table: "t;x", chain: "forward", kind: .rule, handle: 7, ruleText: "drop", verdict: .drop)])]
        Self.expectPastes(
            ForwardDropRule().diagnose(handled)?.fix,
            as: ["ip", "netns", "exec", "ns'x", "nft", "delete", "rule", "inet", "t;x", "forward", "handle", "7"],
            #"ip netns exec 'ns'\''x' nft delete rule inet 't;x' forward handle 7"#)
    }

    @Test func untranslatedSourceQuotesTheMasqueradeRule() throws {
        let out = Hop(point: Self.uplink, dir: .outbound, time: EventTime(micros: 0), src: Lab.ip(Lab.ns1IP), dst: Lab.ip(Lab.remoteIP))
        var input = DiagnosisTests.vanished(at: Self.bridge, next: Self.uplink, hops: [out])
        input.verdict = Verdict(.unreplied, at: Self.uplink, reason: "no reply")
        let d = try #require(UntranslatedSourceRule().diagnose(try Self.hostileContext(input)))
        Self.expectPastes(
            d.fix,
            as: ["ip", "netns", "exec", "ns'x", "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "172.18.0.0/24",
                 "!", "-o", "d$(id>&2)", "-j", "MASQUERADE"],
            #"ip netns exec 'ns'\''x' iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o 'd$(id>&2)' -j MASQUERADE"#)
    }
}
