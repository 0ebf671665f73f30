import HoptraceCore

/// Short texts the panes share.
enum Format {
    /// "21:27:05.812345" (UTC), as the text output prints times.
    static func clock(_ t: EventTime) -> String {
        let day = ((t.seconds % 86_400) + 86_400) % 86_400
        return "\(pad2(day / 3600)):\(pad2(day / 60 % 60)):\(pad2(day % 60)).\(pad(t.microsOfSecond, 6))"
    }

    /// "+182us", "+1.25ms", "+2.4s"; clocks of two points may disagree, so "-" happens.
    static func delta(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : "+"
        let m = micros.magnitude
        if m < 1000 { return "\(sign)\(m)us" }
        if m < 1_000_000 { return "\(sign)\(m / 1000).\(pad(Int(m % 1000 / 10), 2))ms" }
        return "\(sign)\(m / 1_000_000).\(m % 1_000_000 / 100_000)s"
    }

    /// Age of something last seen at `t`: "0s", "42s", "3m", "5h", "2d".
    static func age(_ t: EventTime, now: EventTime) -> String {
        let s = max(0, now.micros(since: t) / 1_000_000)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    /// Cuts `s` to `width` columns, marking the cut.
    static func fit(_ s: String, _ width: Int, _ g: Glyphs) -> String {
        guard width > 0 else { return "" }
        guard s.count > width else { return s }
        return String(s.prefix(max(0, width - 1))) + (width > 1 ? g.ellipsis : String(s.prefix(1)))
    }

    static func padRight(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width)) : s + String(repeating: " ", count: width - s.count)
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width)) : String(repeating: " ", count: width - s.count) + s
    }

    /// An address with its first `drop` octets (IPv4) or groups (IPv6) replaced by the ellipsis.
    static func address(_ a: IPAddress, drop: Int, _ g: Glyphs) -> String {
        let text = a.description
        guard drop > 0 else { return text }
        let sep: Character = text.contains(":") ? ":" : "."
        let parts = text.split(separator: sep, omittingEmptySubsequences: false)
        let kept = max(1, parts.count - drop)
        guard kept < parts.count else { return text }
        return g.ellipsis + parts.suffix(kept).joined(separator: String(sep))
    }

    /// Drops enough to shorten any address to its last octet or group.
    static let dropAll = 16

    /// Two addresses (each with its ":port" suffix) shortened only as far as needed for
    /// `src + between + dst` to fit `width`, so a column with room shows both in full. A
    /// leading octet or group at a time, from the longer one; of two as long, from the one
    /// cut less so far, or from both when that ties too — so a reply's pair comes out as
    /// its request's, mirrored. nil: even the shortest forms do not fit.
    static func shortened(_ src: IPAddress, _ sp: String, _ dst: IPAddress, _ dp: String, between: Int, width: Int,
                          _ g: Glyphs) -> (String, String)? {
        var ds = 0, dd = 0
        while true {
            let a = address(src, drop: ds, g), b = address(dst, drop: dd, g)
            if a.count + sp.count + between + b.count + dp.count <= width { return (a + sp, b + dp) }
            let canS = address(src, drop: ds + 1, g) != a
            let canD = address(dst, drop: dd + 1, g) != b
            switch (canS, canD) {
            case (false, false): return nil
            case (true, false): ds += 1
            case (false, true): dd += 1
            case (true, true):
                // Ports do not count: they are never cut here.
                let order = a.count != b.count ? b.count - a.count : ds - dd
                if order <= 0 { ds += 1 }
                if order >= 0 { dd += 1 }
            }
        }
    }

    /// "172.18.0.3>172.31.45.174" or with ports "172.31.45.174:60814>172.18.0.3:80",
    /// shortened address by address (dropping leading octets) until it fits `width`.
    static func tuple(src: IPAddress, dst: IPAddress, sport: UInt16?, dport: UInt16?, width: Int, arrow: String,
                      _ g: Glyphs) -> String {
        let sp = sport.map { ":\($0)" } ?? "", dp = dport.map { ":\($0)" } ?? ""
        if let (s, d) = shortened(src, sp, dst, dp, between: arrow.count, width: width, g) { return s + arrow + d }
        return fit(address(src, drop: dropAll, g) + sp + arrow + address(dst, drop: dropAll, g) + dp, width, g)
    }

    /// The original tuple of a flow row: "172.18.0.3 → 172.31.45.174 id 27", "a:1 → b:80".
    static func flowTuple(_ f: Flow, width: Int, _ g: Glyphs) -> String {
        let ports = IPProtocol.isTCPOrUDP(f.proto) || f.proto == IPProtocol.sctp
        let suffix = f.echo ? " id \(f.orig.sport)" : ""
        let t = tuple(src: f.orig.src, dst: f.orig.dst, sport: ports ? f.orig.sport : nil, dport: ports ? f.orig.dport : nil,
                      width: max(1, width - suffix.count), arrow: " \(g.right) ", g)
        return fit(t + suffix, width, g)
    }

    /// `SNAT→172.31.39.53`, `DNAT→172.18.0.3:80`: where NAT sent the flow, one badge per kind.
    static func natBadge(_ f: Flow, _ g: Glyphs) -> String {
        var badges: [String] = []
        for kind in [NATRewrite.Kind.snat, .dnat] {
            let rewrites = f.nat.filter { $0.kind == kind }
            guard !rewrites.isEmpty else { continue }
            let addrField = kind == .snat ? "src" : "dst", portField = kind == .snat ? "sport" : "dport"
            let addr = rewrites.first { $0.field == addrField }?.to
            let port = rewrites.first { $0.field == portField }?.to
            let ports = IPProtocol.isTCPOrUDP(f.proto)
            var text = kind.rawValue.uppercased() + g.right
            if let addr {
                text += addr
                if ports, kind == .dnat { text += ":" + (port ?? "\(f.orig.dport)") } else if let port { text += ":" + port }
            } else if let port {
                text += ":" + port
            } else if let id = rewrites.first(where: { $0.field == "id" }) {
                text += "id " + id.to
            }
            // What NAT does now: a rewrite that stopped says since when.
            if let until = rewrites.compactMap(\.until).max(), rewrites.allSatisfy({ $0.until != nil }) {
                text += " until \(until.clock), none since"
            }
            badges.append(text)
        }
        return badges.joined(separator: " ")
    }

    /// conntrack's word for the flow: the TCP state, else what the status says; "-" untracked.
    static func conntrack(_ f: Flow) -> String {
        if let s = f.conntrackState { return s }
        let st = f.conntrackStatus
        // No entry yet, or none of the bits conntrack names: nothing to say.
        if st.isDisjoint(with: .named) { return "-" }
        if st.contains(.assured) { return "ASSURED" }
        return st.contains(.seenReply) ? "REPLIED" : "UNREPLIED"
    }

    /// Request hops seen / expected, for the latest request journey: "5/5", "3/5".
    static func hops(_ f: Flow) -> String {
        guard let j = f.journeys.filter({ $0.leg == .request }).max(by: { $0.firstTime < $1.firstTime })
            ?? f.latestJourney else { return "-" }
        let expected = max(j.path.count, j.hops.count)
        return "\(j.hops.count)/\(expected)"
    }

    /// The verdict column: the state when all is well, the reason (with its place) otherwise.
    static func verdict(_ v: Verdict) -> String {
        switch v.state {
        case .replied, .delivered, .inFlight, .seen:
            return v.state.rawValue
        default:
            return v.reason.hasPrefix(v.state.rawValue) || v.reason.hasPrefix("reply " + v.state.rawValue)
                ? v.reason : "\(v.state.rawValue): \(v.reason)"
        }
    }

    /// An outcome's mark in the terminal's glyphs (ASCII terminals get +/x).
    static func mark(_ o: ExchangeOutcome, _ g: Glyphs) -> String {
        switch o {
        case .replied: g.check
        case .delivered: g.dot
        case .icmpError: "!"
        case .unreplied, .vanished, .replyVanished: g.cross
        }
    }

    static func outcomeStyle(_ o: ExchangeOutcome) -> ScreenBuffer.Style {
        switch o {
        case .replied: ScreenBuffer.Style(color: .green)
        case .delivered: ScreenBuffer.Style(color: .dim)
        default: ScreenBuffer.Style(color: .red)
        }
    }

    static func verdictStyle(_ s: Verdict.State) -> ScreenBuffer.Style {
        switch s {
        case .replied, .delivered: ScreenBuffer.Style(color: .green)
        case .vanished, .unreplied, .icmpError: ScreenBuffer.Style(color: .red, bold: true)
        case .inFlight: .plain
        case .seen: ScreenBuffer.Style(color: .dim)
        case .uncaptured: ScreenBuffer.Style(color: .yellow)
        }
    }

    /// The rule that decided a drop, when the kernel told us (nftables trace). Verdict has
    /// no such field yet: a later change returns `verdict.rule` here and the journey pane
    /// and the detail view show it on their `rule:` line.
    /// The kernel's deciding rule (explain mode), when known.
    static func rule(_ v: Verdict) -> String? { v.rule }

    static func pad2(_ v: Int) -> String { pad(v, 2) }
    static func pad(_ v: Int, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }

    /// Greedy word wrap to `width` columns (words longer than a line are cut).
    static func wrap(_ text: String, width: Int, indent: String = "") -> [String] {
        let lead = String(text.prefix { $0 == " " })
        guard !lead.isEmpty else { return wrapWords(text, width: width, indent: indent) }
        return wrapWords(String(text.dropFirst(lead.count)), width: width - lead.count, indent: indent).map { lead + $0 }
    }

    static func wrapWords(_ text: String, width: Int, indent: String) -> [String] {
        guard width > indent.count + 4 else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let w = String(word)
            if line.isEmpty {
                line = (lines.isEmpty ? "" : indent) + w
            } else if line.count + 1 + w.count <= width {
                line += " " + w
            } else {
                lines.append(line)
                line = indent + w
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}
