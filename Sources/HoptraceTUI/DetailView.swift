import HoptraceCore

/// Enter on a flow: everything known about it — the verdict with hint, fix and rule,
/// NAT rewrites, every conntrack attribute and event, and every journey hop by hop.
enum DetailView {
    typealias Line = (String, ScreenBuffer.Style)

    static func lines(_ f: Flow, width: Int, _ g: Glyphs) -> [Line] {
        let head = ScreenBuffer.Style(color: .cyan, bold: true)
        var out: [Line] = []
        func add(_ text: String, _ style: ScreenBuffer.Style = .plain) {
            for l in Format.wrap(text, width: width, indent: "      ") { out.append((l, style)) }
        }
        add(FlowText.line(f), ScreenBuffer.Style(bold: true))
        out.append(("", .plain))
        let v = f.verdict
        add("verdict  \(v.state.rawValue)" + (v.at.map { " at \($0)" } ?? ""), Format.verdictStyle(v.state))
        add("  reason  \(v.reason)")
        if let since = f.verdictSince { add("  since   \(Format.clock(since))") }
        if let p = f.pendingText { add("  now     \(p)", ScreenBuffer.Style(color: .dim)) }
        let w = f.window
        if !w.recent.isEmpty || w.inFlight > 0 {
            add("  recent  \(w.recent.map { Format.mark($0, g) }.joined())  (\(w.replied) replied, \(w.unreplied) unreplied, \(w.vanished) vanished, \(w.icmpError) icmp errors, \(w.inFlight) in flight)")
        }
        add("  rule    \(Format.rule(v) ?? "(not known: the kernel's trace has not named one)")",
            Format.rule(v) == nil ? ScreenBuffer.Style(color: .dim) : ScreenBuffer.Style(color: .red))
        if let h = v.hint { add("  why     \(h)", ScreenBuffer.Style(color: .yellow)) }
        if let why = v.why, why != v.hint { add("  cause   \(why)", ScreenBuffer.Style(color: .yellow)) }
        for (line, style) in NearMissLines.lines(f, label: "  near    ") { add(line, style) }
        if let fix = v.fix { add("  fix     \(fix)", ScreenBuffer.Style(color: .cyan)) }
        if let p = f.proxy { add("  proxy   \(p.text)", ScreenBuffer.Style(color: .cyan)) }
        if let e = f.lastError {
            add("  icmp error type \(e.type) code \(e.code) from \(e.from) seen at \(e.at) \(Format.clock(e.time))", ScreenBuffer.Style(color: .red))
        }
        out.append(("", .plain))
        out.append(("NAT", head))
        if f.nat.isEmpty { add("  none seen", ScreenBuffer.Style(color: .dim)) }
        for n in f.nat {
            let place = n.between.map { "between \($0.0) and \($0.1)" } ?? "(conntrack's tuples only)"
            let until = n.until.map { "  until \(Format.clock($0)), none since" } ?? ""
            add("  \(n.kind.rawValue.uppercased()) \(n.field) \(n.from) \(g.right) \(n.to)  \(place)\(until)", ScreenBuffer.Style(color: .yellow))
        }
        if !f.history.isEmpty {
            out.append(("", .plain))
            out.append(("history", head))
            for c in f.history {
                add("  \(Format.clock(c.time)) \(c.from.rawValue) \(g.right) \(c.to.rawValue): \(c.note)", Format.verdictStyle(c.to))
            }
        }
        out.append(("", .plain))
        out.append(("conntrack" + (f.conntrackNetns.map { " (\($0))" } ?? ""), head))
        if f.conntrackOrig == nil && f.events.isEmpty {
            add("  no conntrack entry seen for this flow", ScreenBuffer.Style(color: .dim))
        } else {
            add("  id \(f.conntrackID.map(String.init) ?? "-")  state \(f.conntrackState ?? "-")  status \(f.conntrackStatus.names.joined(separator: ","))")
            if let o = f.conntrackOrig { add("  orig   " + tuple(o)) }
            if let r = f.conntrackReply { add("  reply  " + tuple(r)) }
            add("  ended: \(f.ended ? "yes (destroyed)" : "no")")
            for e in f.events {
                add("  " + ConntrackPane.line(e.event, netns: f.conntrackNetns, time: e.time),
                    ConntrackPane.color(e.event.kind))
            }
        }
        out.append(("", .plain))
        add("packets \(f.packets) (request \(f.requestPackets), reply \(f.replyPackets), related \(f.relatedPackets))  first \(Format.clock(f.firstSeen))  last \(Format.clock(f.lastSeen))")
        out.append(("", .plain))
        out.append(("journeys (\(f.journeys.count))", head))
        let ports = IPProtocol.isTCPOrUDP(f.proto)
        for j in f.journeys.sorted(by: { $0.firstTime < $1.firstTime }) {
            let what = JourneyPane.label(j, flow: f, g)
            add("  #\(j.id) \(j.leg.rawValue) \(what)  \(Format.verdict(j.verdict))  span \(Format.delta(j.spanMicros))"
                + (j.settled ? "" : "  (open)"), Format.verdictStyle(j.verdict.state))
            for h in j.hops {
                let (src, dst) = JourneyPane.tupleParts(h, ports: ports, width: 200, g)
                let id = h.icmpID.map { " id \($0)" } ?? ""
                let when = h.deltaMicros.map(Format.delta) ?? Format.clock(h.time)
                add("      \(Format.padRight(h.point.description, 16)) \(Format.padRight(h.dir.rawValue, 5)) \(Format.padLeft(when, 15))  \(src) > \(dst)\(id) ttl \(h.ttl)")
            }
            if j.verdict.state == .vanished, let at = j.verdict.at {
                add("      \(g.cross) not seen after \(at)", ScreenBuffer.Style(color: .red, bold: true))
            }
        }
        return out
    }

    static func tuple(_ t: ConntrackEvent.Tuple) -> String {
        var s = "src=\(t.src) dst=\(t.dst)"
        if let i = t.icmp { s += " type=\(i.type) code=\(i.code) id=\(i.id)" }
        else if let sp = t.sport, let dp = t.dport { s += " sport=\(sp) dport=\(dp)" }
        return s
    }

    static func draw(into s: inout ScreenBuffer, flow: Flow?, state: UIState, layout: Layout, _ g: Glyphs) {
        let top = layout.bodyTop, rows = layout.bodyRows - 1
        for y in top..<(top + layout.bodyRows) { s.fill(y: y, from: 0, to: s.width, style: .plain) }
        guard let f = flow else {
            s.titleBar("Flow detail", right: "Esc closes", y: top, focused: true, g)
            s.put("no flow selected", x: 2, y: top + 1, style: ScreenBuffer.Style(color: .dim))
            return
        }
        let all = lines(f, width: s.width - 2, g)
        let first = max(0, min(state.detailTop, all.count - rows))
        let range = "lines \(first + 1)-\(min(all.count, first + rows)) of \(all.count)  Esc closes"
        s.titleBar("Flow \(f.id) detail", right: range, y: top, focused: true, g)
        for (i, (text, style)) in all.dropFirst(first).prefix(rows).enumerated() {
            s.put(text, x: 1, y: top + 1 + i, style: style, maxWidth: s.width - 2)
        }
    }

    static func lineCount(_ f: Flow?, width: Int, _ g: Glyphs) -> Int { f.map { lines($0, width: width - 2, g).count } ?? 0 }
}
