import HoptraceCore

extension TUI {
    /// One input → a state change and what happened. Modes, innermost first: the filter
    /// prompt, the help overlay, the detail view, then the panes. `c` clears the
    /// session's logs directly (the caller is the loop that owns the session); the lab
    /// keys return `.action(.lab(...))` for the executable to apply.
    public static func handle(_ input: KeyInput, state: inout UIState, session: Session, context: RenderContext) -> KeyResult {
        if input == .resize || input == .char("\u{0C}") { return .redraw }  // Ctrl-L repaints
        if input != .resize { state.message = nil }
        if state.prompt != nil { return prompt(input, state: &state) }
        if context.isTooSmall { return input == .char("q") ? .quit : .ignored }
        if state.helpOpen {
            switch input {
            case .escape, .enter, .char("?"), .click: state.helpOpen = false; return .handled
            case .char("q"): return .quit
            default: return .ignored
            }
        }
        let layout = Layout(context)
        if state.detailOpen { return detail(input, state: &state, session: session, context: context, layout: layout) }

        switch input {
        case .char("q"): return .quit
        case .char("?"): state.helpOpen = true
        case .tab: state.focus = UIState.Pane(rawValue: (state.focus.rawValue + 1) % UIState.Pane.allCases.count)!
        case .enter:
            guard TUI.selectedFlow(session: session, state: state) != nil else { return .ignored }
            state.detailOpen = true
            state.detailTop = 0
        case .char("/"): state.prompt = state.filter
        case .char("s"):
            state.sort = state.sort.next
            keepSelectionVisible(&state, session: session, layout: layout)
        case .char("a"):
            state.showControl.toggle()
            settle(&state, session: session)  // folding away a selected control flow hands the selection on
            keepSelectionVisible(&state, session: session, layout: layout)
        case .char("p"):
            state.frozen = state.frozen == nil ? UIState.Frozen(session: session) : nil
        case .char("c"):
            session.clearLogs()
            state.frozen?.packets = []
            state.frozen?.conntrack = []
            state.conntrackBack = 0
            state.packetsBack = 0
        case .char("f"):
            if state.followFlowID != nil {
                state.followFlowID = nil
            } else {
                guard let f = TUI.selectedFlow(session: session, state: state) else { return .ignored }
                state.followFlowID = f.id
            }
            state.packetsBack = 0
        case .char("x"):
            return .action(.explain)
        case .char("w"):
            guard let point = TUI.selectedFlow(session: session, state: state)?.diagnosis?.unwatched else { return .ignored }
            return .action(.watch(point))
        case .char("n"), .char("d"), .char("r"):
            guard context.labKeys else { return .ignored }
            let action: LabAction = input == .char("n") ? .toggleNAT : input == .char("d") ? .toggleForwardDrop : .toggleReturnRule
            return .action(.lab(action))
        case .up, .char("k"): return move(-1, state: &state, session: session, layout: layout)
        case .down, .char("j"): return move(1, state: &state, session: session, layout: layout)
        case .pageUp: return move(-page(state.focus, layout), state: &state, session: session, layout: layout)
        case .pageDown: return move(page(state.focus, layout), state: &state, session: session, layout: layout)
        case .home: return move(Int.min / 2, state: &state, session: session, layout: layout)
        case .end: return move(Int.max / 2, state: &state, session: session, layout: layout)
        case .click(let x, let y): return click(x: x, y: y, state: &state, session: session, layout: layout)
        default: return .ignored
        }
        return .handled
    }

    static func prompt(_ input: KeyInput, state: inout UIState) -> KeyResult {
        switch input {
        case .enter:
            state.filter = (state.prompt ?? "").trimmingSpaces
            state.prompt = nil
            state.flowsTop = 0
        case .escape: state.prompt = nil
        case .backspace: if state.prompt?.isEmpty == false { state.prompt?.removeLast() }
        case .char(let c):
            guard !c.isNewline, c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return .ignored }
            state.prompt?.append(c)
        default: return .ignored
        }
        return .handled
    }

    static func detail(_ input: KeyInput, state: inout UIState, session: Session, context: RenderContext, layout: Layout) -> KeyResult {
        let rows = layout.bodyRows - 1
        let count = DetailView.lineCount(TUI.selectedFlow(session: session, state: state), width: context.width, Glyphs(context))
        let maxTop = max(0, count - rows)
        switch input {
        case .escape, .enter: state.detailOpen = false
        case .char("q"): return .quit
        case .char("?"): state.helpOpen = true
        case .char("p"): state.frozen = state.frozen == nil ? UIState.Frozen(session: session) : nil
        case .up, .char("k"): state.detailTop = max(0, min(state.detailTop, maxTop) - 1)
        case .down, .char("j"): state.detailTop = min(maxTop, state.detailTop + 1)
        case .pageUp: state.detailTop = max(0, min(state.detailTop, maxTop) - rows)
        case .pageDown: state.detailTop = min(maxTop, state.detailTop + rows)
        case .home: state.detailTop = 0
        case .end: state.detailTop = maxTop
        default: return .ignored
        }
        return .handled
    }

    static func page(_ pane: UIState.Pane, _ layout: Layout) -> Int { max(1, layout.pane(pane).rows - 1) }

    /// ↑↓ PgUp PgDn Home End: the selection in the flows pane, the scroll elsewhere
    /// (journey: older exchanges; logs: lines up from the newest).
    static func move(_ delta: Int, state: inout UIState, session: Session, layout: Layout) -> KeyResult {
        let data = PaneData(session: session, state: state)
        switch state.focus {
        case .flows:
            let listing = data.listing(state)
            let rows = listing.flows
            guard !rows.isEmpty else { return .ignored }
            // No selection (only control flows are listed): any key starts at the first row.
            let current = FlowList.selectedIndex(rows, state) ?? -1
            let next = min(max(0, current.addingReportingOverflow(delta).partialValue), rows.count - 1)
            if rows[next].id != state.selectedFlowID { state.journeyBack = 0; state.detailTop = 0 }
            state.selectedFlowID = rows[next].id
            let visible = layout.flows.rows
            var top = FlowList.top(for: next, current: state.flowsTop, visible: visible, count: listing.count)
            // At the last flow, the folded rows under it come into view too.
            if next == rows.count - 1 { top = max(top, min(next, listing.count - visible)) }
            state.flowsTop = top
        case .journey:
            let count = TUI.selectedFlow(session: session, state: state)?.journeys.count ?? 0
            state.journeyBack = clamp(state.journeyBack - delta, 0, max(0, count - 1))
        case .conntrack:
            state.conntrackBack = clamp(state.conntrackBack - delta, 0, max(0, data.conntrack.count - layout.conntrack.rows))
        case .packets:
            let count = state.followFlowID.map { id in data.packets.filter { $0.flowID == id }.count } ?? data.packets.count
            state.packetsBack = clamp(state.packetsBack - delta, 0, max(0, count - layout.packets.rows))
        }
        return .handled
    }

    /// A click on a flow row selects it; a click anywhere in a pane focuses it.
    static func click(x: Int, y: Int, state: inout UIState, session: Session, layout: Layout) -> KeyResult {
        guard let pane = UIState.Pane.allCases.first(where: { layout.pane($0).contains(y: y) }) else { return .ignored }
        state.focus = pane
        guard pane == .flows, y >= layout.flows.top else { return .handled }
        let listing = PaneData(session: session, state: state).listing(state)
        let rows = listing.flows
        let top = FlowList.top(for: FlowList.selectedIndex(rows, state), current: state.flowsTop,
                               visible: layout.flows.rows, count: listing.count)
        let i = top + (y - layout.flows.top)
        guard i < rows.count else { return .handled }  // below the flows: a folded row or nothing
        if rows[i].id != state.selectedFlowID { state.journeyBack = 0 }
        state.selectedFlowID = rows[i].id
        state.flowsTop = top
        return .handled
    }

    static func keepSelectionVisible(_ state: inout UIState, session: Session, layout: Layout) {
        let listing = PaneData(session: session, state: state).listing(state)
        state.flowsTop = FlowList.top(for: FlowList.selectedIndex(listing.flows, state), current: state.flowsTop,
                                      visible: layout.flows.rows, count: listing.count)
    }

    static func clamp(_ v: Int, _ lo: Int, _ hi: Int) -> Int { min(max(lo, v), hi) }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
