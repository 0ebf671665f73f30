import HoptraceCore

/// The selected flow as a ladder: one column per capture point in the original
/// direction's path order, one row per packet of the latest exchanges (→ request,
/// ← reply), each cell the tuple as seen there and the time since the previous hop.
/// A NAT rewrite is drawn on the boundary between the two hops where it happened,
/// with the rewritten address highlighted in the cells after it; a journey that
/// vanished marks the first point that did not see it; the verdict (and its hint,
/// fix, and the rule once the kernel names it) closes the pane.
enum JourneyPane {
    static let labelWidth = 6

    static func draw(into s: inout ScreenBuffer, flow: Flow?, state: UIState, layout: Layout,
                     context: RenderContext, _ g: Glyphs) {
        let pane = layout.journey
        let focused = state.focus == .journey && !state.detailOpen
        guard let f = flow else {
            s.titleBar("Journey", y: pane.title, focused: focused, g)
            s.put("select a flow to see its packets hop by hop", x: 2, y: pane.top, style: ScreenBuffer.Style(color: .dim))
            return
        }
        let cols = columns(f)
        let colW = columnWidth(f, cols: cols, screenWidth: s.width)
        func colX(_ i: Int) -> Int { labelWidth + i * (colW + 1) }
        let maxX = s.width

        // Header: netns:iface per column, or netns above iface when names are too wide.
        let names = cols.map(\.description)
        let twoRowHeader = names.contains { $0.count > colW }
        var y = pane.top
        let last = pane.top + pane.rows
        let headerStyle = ScreenBuffer.Style(color: .cyan, bold: true)
        for (i, p) in cols.enumerated() {
            if twoRowHeader {
                s.put(Format.fit(p.netns ?? "-", colW, g), x: colX(i), y: y, style: ScreenBuffer.Style(color: .cyan))
                s.put(Format.fit(p.iface, colW, g), x: colX(i), y: y + 1, style: headerStyle)
            } else {
                s.put(p.description, x: colX(i), y: y, style: headerStyle)
            }
        }
        let headerRows = twoRowHeader ? 2 : 1

        // NAT boundaries: the gap column between the two hops of each rewrite.
        var boundaries: [(x: Int, text: String)] = []
        var unplaced: [NATRewrite] = []
        for r in f.nat {
            guard let (a, b) = r.between, let ia = cols.firstIndex(of: a), let ib = cols.firstIndex(of: b) else {
                unplaced.append(r)
                continue
            }
            let gap = colX(min(ia, ib) + 1) - 1
            let text = "\(r.kind.rawValue.uppercased()) \(r.field)\(g.right)\(r.to)"
            if let k = boundaries.firstIndex(where: { $0.x == gap }) { boundaries[k].text += "  " + text } else { boundaries.append((gap, text)) }
        }
        let natStyle = ScreenBuffer.Style(color: .yellow, bold: true)
        for b in boundaries {
            for hy in pane.top..<(pane.top + headerRows) { s.put(g.natBar, x: b.x, y: hy, style: natStyle) }
        }
        y += headerRows
        if !boundaries.isEmpty {
            for b in boundaries {
                let x = min(max(labelWidth, b.x - b.text.count / 2), maxX - b.text.count)
                s.put(b.text, x: x, y: y, style: natStyle)
            }
            y += 1
        }

        // The verdict block, wrapped; it keeps at least one line.
        let block = verdictBlock(f, unplaced: unplaced, width: s.width - 2, g)
        let avail = last - y
        let blockShown = min(block.count, max(1, avail - 4))
        let packetRows = avail - blockShown

        let journeys = f.journeys.sorted { $0.firstTime < $1.firstTime }
        let end = max(0, journeys.count - min(state.journeyBack, max(0, journeys.count - 1)))
        let perPacket = packetRows >= 4 || (packetRows >= 2 && journeys.count == 1) ? 2 : 1
        let k = min(end, max(0, packetRows / perPacket))
        let shown = Array(journeys[(end - k)..<end])

        let title = "Journey of flow \(f.id)"
        let right = journeys.isEmpty ? "no packets seen" : "packets \(end - k + 1)-\(end) of \(journeys.count)"
        s.titleBar(title, right: right, y: pane.title, focused: focused, g)

        for j in shown {
            drawPacket(j, flow: f, cols: cols, colW: colW, colX: colX, y: y, twoLines: perPacket == 2, into: &s, g)
            for b in boundaries {
                for dy in 0..<perPacket { s.put(g.natBar, x: b.x, y: y + dy, style: natStyle) }
            }
            y += perPacket
        }
        y = last - blockShown
        for (line, style) in block.prefix(blockShown) {
            s.put(line, x: 1, y: y, style: style, maxWidth: s.width - 2)
            y += 1
        }
    }

    /// The path of the original direction (the longest seen), then any other point a hop was seen at.
    static func columns(_ f: Flow) -> [CapturePoint] {
        let requests = f.journeys.filter { $0.leg == .request }
        var cols = requests.max { $0.path.count < $1.path.count }?.path ?? []
        if cols.isEmpty, let reply = f.journeys.filter({ $0.leg == .reply }).max(by: { $0.path.count < $1.path.count }) {
            cols = reply.path.reversed()
        }
        for j in f.journeys.sorted(by: { $0.firstTime < $1.firstTime }) {
            for h in j.hops where !cols.contains(h.point) { cols.append(h.point) }
        }
        return cols
    }

    /// Columns are 26 wide unless a cell needs more in full and the screen has room for
    /// it: a wide terminal shows whole addresses; only a narrow column abbreviates them.
    static func columnWidth(_ f: Flow, cols: [CapturePoint], screenWidth: Int) -> Int {
        let n = max(1, cols.count)
        let room = (screenWidth - labelWidth - (n - 1)) / n
        return max(6, min(room, max(26, fullCellWidth(f, cols: cols))))
    }

    /// The widest cell at full length: a column's name, or a hop's `src>dst` with ports.
    static func fullCellWidth(_ f: Flow, cols: [CapturePoint]) -> Int {
        let ports = IPProtocol.isTCPOrUDP(f.proto)
        var w = cols.map { $0.description.count }.max() ?? 0
        for j in f.journeys {
            for h in j.hops {
                let sp = ports ? h.sport.map { ":\($0)" } ?? "" : "", dp = ports ? h.dport.map { ":\($0)" } ?? "" : ""
                w = max(w, h.src.description.count + sp.count + 1 + h.dst.description.count + dp.count)
            }
        }
        return w
    }

    static func label(_ j: Journey, flow f: Flow, _ g: Glyphs) -> String {
        switch j.leg {
        case .request, .reply:
            let arrow = j.leg == .request ? g.right : g.left
            if let seq = j.icmpSeq { return "\(arrow) \(seq)" }
            if f.proto == IPProtocol.tcp { return "\(arrow) \(PacketText.tcpFlags(j.tcpFlags))" }
            return arrow
        case .error:
            return "! " + (j.icmpError.map { "\($0.type)/\($0.code)" } ?? "err")
        }
    }

    static func drawPacket(_ j: Journey, flow f: Flow, cols: [CapturePoint], colW: Int, colX: (Int) -> Int, y: Int,
                           twoLines: Bool, into s: inout ScreenBuffer, _ g: Glyphs) {
        let legStyle: ScreenBuffer.Style = switch j.leg {
        case .request: ScreenBuffer.Style(color: .cyan, bold: true)
        case .reply: ScreenBuffer.Style(color: .magenta, bold: true)
        case .error: ScreenBuffer.Style(color: .red, bold: true)
        }
        s.put(Format.fit(label(j, flow: f, g), labelWidth - 1, g), x: 0, y: y, style: legStyle)
        let ports = IPProtocol.isTCPOrUDP(f.proto)
        var previous: Hop?
        let lostAt: CapturePoint? = {
            guard j.verdict.state == .vanished, let at = j.verdict.at, let i = j.path.firstIndex(of: at),
                  i + 1 < j.path.count else { return nil }
            return j.path[i + 1]
        }()
        let lastSeenIndex = j.hops.last.flatMap { h in j.path.firstIndex(of: h.point) } ?? -1
        for (i, p) in cols.enumerated() {
            let x = colX(i)
            if let h = j.hops.first(where: { $0.point == p }) {
                let (src, dst) = tupleParts(h, ports: ports, width: colW, g)
                let srcChanged = previous.map { $0.src != h.src || $0.sport != h.sport } ?? false
                let dstChanged = previous.map { $0.dst != h.dst || $0.dport != h.dport } ?? false
                let changed = ScreenBuffer.Style(color: .yellow, bold: true)
                s.spans([(src, srcChanged ? changed : .plain), (">", ScreenBuffer.Style(color: .dim)),
                         (dst, dstChanged ? changed : .plain)], x: x, y: y, maxX: x + colW)
                if twoLines {
                    if let d = h.deltaMicros {
                        s.put(Format.fit(Format.delta(d), colW, g), x: x, y: y + 1, style: .plain)
                    } else {
                        s.put(Format.fit(String(Format.clock(h.time).prefix(12)), colW, g), x: x, y: y + 1,
                              style: ScreenBuffer.Style(color: .dim))
                    }
                }
                previous = h
            } else if p == lostAt {
                s.put(Format.fit("\(g.cross) not seen", colW, g), x: x, y: y, style: ScreenBuffer.Style(color: .red, bold: true))
            } else if let pi = j.path.firstIndex(of: p), pi > lastSeenIndex {
                let still = j.verdict.state == .inFlight && !j.settled
                s.put(still ? g.ellipsis : g.dot, x: x, y: y, style: ScreenBuffer.Style(color: .dim))
            }
        }
    }

    /// src and dst of a hop in full when `src>dst` fits `width`, else shortened only as far
    /// as needed (leading octets dropped, the longer address first: `Format.shortened`).
    /// Then, if still too wide, the client's ephemeral port (the higher one) goes first.
    static func tupleParts(_ h: Hop, ports: Bool, width: Int, _ g: Glyphs) -> (String, String) {
        let ephemeralIsSrc = (h.sport ?? 0) > (h.dport ?? 0)
        var sp = "", dp = ""
        for dropPort in [false, true] {
            sp = ports && !(dropPort && ephemeralIsSrc) ? h.sport.map { ":\($0)" } ?? "" : ""
            dp = ports && !(dropPort && !ephemeralIsSrc) ? h.dport.map { ":\($0)" } ?? "" : ""
            if let parts = Format.shortened(h.src, sp, h.dst, dp, between: 1, width: width, g) { return parts }
        }
        return (Format.address(h.src, drop: Format.dropAll, g) + sp, Format.address(h.dst, drop: Format.dropAll, g) + dp)
    }

    /// The verdict, then why (rule from the kernel when known, else the hint) and the fix.
    static func verdictBlock(_ f: Flow, unplaced: [NATRewrite], width: Int, _ g: Glyphs) -> [(String, ScreenBuffer.Style)] {
        let v = f.verdict
        var out: [(String, ScreenBuffer.Style)] = []
        func add(_ text: String, _ style: ScreenBuffer.Style) {
            for line in Format.wrap(text, width: width, indent: "    ") { out.append((line, style)) }
        }
        let style = Format.verdictStyle(v.state)
        switch v.state {
        case .replied, .delivered:
            add("\(g.check) \(v.state.rawValue): \(v.reason)", style)
        case .vanished, .unreplied, .icmpError:
            add("\(g.cross) \(Format.verdict(v))", style)
        case .inFlight, .seen, .uncaptured:
            add("\(g.ellipsis) \(v.state.rawValue): \(v.reason)", style)
        }
        // A request in flight stands beside the settled verdict; it does not replace it.
        if let p = f.pendingText { add("  now:  \(p)", ScreenBuffer.Style(color: .dim)) }
        if let rule = Format.rule(v) { add("  rule: \(rule)", ScreenBuffer.Style(color: .red)) }
        if let why = v.why ?? v.hint { add("  why:  \(why)", ScreenBuffer.Style(color: .yellow)) }
        for (line, style) in NearMissLines.lines(f, label: "  near: ") { add(line, style) }
        if let p = f.diagnosis?.unwatched { add("  w:    watch \(p) too", ScreenBuffer.Style(color: .magenta)) }
        if let fix = v.fix { add("  fix:  \(fix)", ScreenBuffer.Style(color: .cyan)) }
        for r in unplaced {
            add("  \(r.kind.rawValue.uppercased()) \(r.field) \(r.from)\(g.right)\(r.to) (conntrack; not seen between hops)",
                ScreenBuffer.Style(color: .yellow))
        }
        return out
    }
}
