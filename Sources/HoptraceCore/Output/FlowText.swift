/// One line per flow for `--text`:
/// `flow 3 icmp 172.18.0.3 > 172.31.45.174 id 27 SNAT→172.31.39.53 [docker1→enX0] replied: 5 hops, 0.41 ms`.
/// Delivered and replied flows show the latest journey's size and span; any other verdict
/// shows its reason (and hint). Names from the command line or the kernel never bring
/// control characters to the terminal: they are shown escaped (`TerminalText`).
public enum FlowText {
    public static func line(_ f: Flow) -> String {
        var s = "flow \(f.id) \(IPProtocol.name(f.proto)) "
        switch f.proto {
        case IPProtocol.tcp, IPProtocol.udp:
            s += "\(f.orig.src).\(f.orig.sport) > \(f.orig.dst).\(f.orig.dport)"
        case _ where f.echo:
            s += "\(f.orig.src) > \(f.orig.dst) id \(f.orig.sport)"
        default:
            s += "\(f.orig.src) > \(f.orig.dst)"
        }
        for n in f.nat {
            s += " \(n.kind.rawValue.uppercased())"
            s += n.field == "src" || n.field == "dst" ? "→\(n.to)" : " \(n.field)→\(n.to)"
            if let (a, b) = n.between {
                s += a.netns == b.netns ? " [\(a.iface)→\(b.iface)]" : " [\(a)→\(b)]"
            }
            // What NAT does now, not only what it once did.
            if let u = n.until { s += " until \(u.clock), none since" }
        }
        let v = f.verdict
        switch v.state {
        case .replied, .delivered:
            let j = f.latestJourney
            let hops = j?.hops.count ?? 0
            s += " \(v.state.rawValue): \(hops) hop\(hops == 1 ? "" : "s"), \(milliseconds(j?.spanMicros ?? 0))"
        default:
            s += v.reason.hasPrefix(v.state.rawValue) || v.reason.hasPrefix("reply " + v.state.rawValue)
                ? " \(v.reason)" : " \(v.state.rawValue): \(v.reason)"
            if let why = v.why { s += "; why: \(why)" } else if let h = v.hint { s += "; hint: \(h)" }
            if let rule = v.rule { s += "; rule: \(rule)" }
            if v.why != nil, let fix = v.fix { s += "; fix: \(fix)" }
        }
        if let p = f.proxy { s += "; \(p.text)" }
        return clean(s)
    }

    /// "0.41 ms", "12.30 ms".
    static func milliseconds(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let m = micros.magnitude
        let hundredths = (m % 1000) / 10
        return "\(sign)\(m / 1000).\(hundredths < 10 ? "0" : "")\(hundredths) ms"
    }

    /// Control and bidi characters shown escaped (`\x1b`): `TerminalText.safe`.
    static func clean(_ s: String) -> String { TerminalText.safe(s) }
}
