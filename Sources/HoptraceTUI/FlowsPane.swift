import HoptraceCore

/// One row per flow: protocol, original tuple, NAT badge, conntrack's state, request
/// hops seen/expected, age, the last outcomes (wide terminals), verdict. Columns size to what the visible rows hold; the
/// verdict gets the rest of the line. Under the flows, one dim row per namespace stands
/// for its folded link-local control flows.
enum FlowsPane {
    static func draw(into s: inout ScreenBuffer, listing: FlowList.Listing, state: UIState, data: PaneData, layout: Layout,
                     context: RenderContext, _ g: Glyphs) {
        let pane = layout.flows
        let rows = listing.flows
        let focused = state.focus == .flows && !state.detailOpen
        let filter = state.filter.isEmpty ? "" : "  filter: \(state.filter)"
        let control = state.showControl ? "  link-local listed" : ""
        s.titleBar("Flows \(rows.count)/\(data.totalFlows)", right: "sort: \(state.sort.label)\(filter)\(control)",
                   y: pane.title, focused: focused, g)
        guard listing.count > 0 else {
            let msg = data.totalFlows == 0 ? "no flows yet" : "no flow matches the filter \"\(state.filter)\""
            s.put(msg, x: 2, y: pane.top, style: ScreenBuffer.Style(color: .dim))
            return
        }
        let selected = FlowList.selectedIndex(rows, state)
        let top = FlowList.top(for: selected, current: state.flowsTop, visible: pane.rows, count: listing.count)
        let visible = top < rows.count ? Array(rows[top..<min(rows.count, top + pane.rows)]) : []
        let folds = listing.folds.dropFirst(max(0, top - rows.count)).prefix(pane.rows - visible.count)
        for (k, fold) in folds.enumerated() {
            s.put(Format.fit(" " + fold.text(g), s.width, g), x: 0, y: pane.top + visible.count + k,
                  style: ScreenBuffer.Style(color: .dim))
        }

        let wide = s.width >= 100
        let idW = wide ? max(2, visible.map { "\($0.id)".count }.max() ?? 2) : 0
        let protoW = visible.map { IPProtocol.name($0.proto).count }.max() ?? 4
        let natW = min(22, visible.map { Format.natBadge($0, g).count }.max() ?? 0)
        let ctW = wide ? min(11, visible.map { Format.conntrack($0).count }.max() ?? 0) : 0
        let hopsW = visible.map { Format.hops($0).count }.max() ?? 3
        let ageW = max(3, visible.map { Format.age($0.lastSeen, now: data.now).count }.max() ?? 3)
        // The history strip (wide terminals): the last outcomes, so a flip shows as ✓✓✓✗✗.
        // Worked out once per row: each is a pass over the flow's journeys.
        let strips = wide ? visible.map { Array($0.window.recent.suffix(8)) } : []
        let stripW = strips.map(\.count).max() ?? 0
        let fixed = [idW, protoW, natW, ctW, hopsW, ageW, stripW].filter { $0 > 0 }.map { $0 + 1 }.reduce(0, +)
        let tupleMax = visible.map { Format.flowTuple($0, width: 60, g).count }.max() ?? 30
        let verdictNeed = min(14, visible.map { Format.verdict($0.verdict).count }.max() ?? 7)
        let tupleW = min(tupleMax, max(24, s.width - fixed - verdictNeed - 1))
        let verdictW = max(4, s.width - 1 - fixed - tupleW - 1)

        for (i, f) in visible.enumerated() {
            let y = pane.top + i
            let isSelected = top + i == selected
            func st(_ base: ScreenBuffer.Style) -> ScreenBuffer.Style {
                var b = base
                if isSelected { b.reverse = true; b.bold = b.bold || focused }
                return b
            }
            if isSelected { s.fill(y: y, from: 0, to: s.width, style: st(.plain)) }
            var parts: [(String, ScreenBuffer.Style)] = [(" ", st(.plain))]
            if idW > 0 { parts.append((Format.padLeft("\(f.id)", idW) + " ", st(ScreenBuffer.Style(color: .dim)))) }
            parts.append((Format.padRight(IPProtocol.name(f.proto), protoW) + " ", st(.plain)))
            parts.append((Format.padRight(Format.flowTuple(f, width: tupleW, g), tupleW) + " ", st(ScreenBuffer.Style(bold: true))))
            if natW > 0 {
                parts.append((Format.padRight(Format.fit(Format.natBadge(f, g), natW, g), natW) + " ",
                              st(ScreenBuffer.Style(color: .yellow, bold: true))))
            }
            if ctW > 0 { parts.append((Format.padRight(Format.fit(Format.conntrack(f), ctW, g), ctW) + " ", st(ScreenBuffer.Style(color: .cyan)))) }
            parts.append((Format.padLeft(Format.hops(f), hopsW) + " ", st(.plain)))
            parts.append((Format.padLeft(Format.age(f.lastSeen, now: data.now), ageW) + " ", st(ScreenBuffer.Style(color: .dim))))
            if stripW > 0 {
                let marks = strips[i]
                parts.append((String(repeating: " ", count: stripW - marks.count), st(.plain)))
                for o in marks { parts.append((Format.mark(o, g), st(Format.outcomeStyle(o)))) }
                parts.append((" ", st(.plain)))
            }
            let vs = Format.verdictStyle(f.verdict.state)
            parts.append((Format.fit(Format.verdict(f.verdict), verdictW, g), st(vs)))
            s.spans(parts, x: 0, y: y, maxX: s.width)
        }
    }
}
