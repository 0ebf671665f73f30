import HoptraceCore

/// The live view, pure: `render` draws a frame from the session and the UI state,
/// `handle` turns one input into a state change and says what happened. The
/// executable owns the loop: feed the session, read inputs, handle them, render on a
/// tick (and at once after a key or resize), hand the buffer to the terminal.
///
/// Keys: ↑/↓ j/k select a flow (or scroll the focused pane), PgUp/PgDn, Home/End,
/// Tab next pane, Enter detail (Esc/Enter close), `/` filter prompt (Enter applies,
/// Esc cancels), `f` follow the selected flow in the packets pane, `p` pause, `c`
/// clear logs, `s` cycle sort, `a` list/fold link-local control flows, `?` help, `q`
/// quit, Ctrl-L repaint, a click selects a flow row; with `RenderContext.labKeys`: `n`
/// NAT, `d` FORWARD drop, `r` return rule.
/// Below 80×24 (`RenderContext.minimumWidth/Height`) a centered message replaces the panes.
public enum TUI {
    public static func render(session: Session, state: UIState, context: RenderContext) -> ScreenBuffer {
        var s = ScreenBuffer(width: context.width, height: context.height)
        let g = Glyphs(context)
        if context.isTooSmall {
            TooSmall.draw(into: &s, context: context, g)
            return context.color ? s : s.monochrome()
        }
        let layout = Layout(context)
        let data = PaneData(session: session, state: state)
        let listing = data.listing(state)
        let rows = listing.flows
        let selected = FlowList.selectedIndex(rows, state).map { rows[$0] }

        HeaderPane.draw(into: &s, session: session, state: state, data: data, shown: rows.count, context: context, g)
        if state.detailOpen {
            DetailView.draw(into: &s, flow: selected, state: state, layout: layout, g)
        } else {
            FlowsPane.draw(into: &s, listing: listing, state: state, data: data, layout: layout, context: context, g)
            JourneyPane.draw(into: &s, flow: selected, state: state, layout: layout, context: context, g)
            ConntrackPane.draw(into: &s, data: data, selected: selected?.id, state: state, layout: layout, g)
            PacketsPane.draw(into: &s, data: data, selected: selected?.id, state: state, layout: layout, g)
        }
        StatusLine.draw(into: &s, state: state, layout: layout, context: context, g)
        if state.helpOpen { HelpOverlay.draw(into: &s, layout: layout, context: context, g) }
        return context.color ? s : s.monochrome()
    }

    /// The flow the journey pane and detail view show (nil when no flow is listed).
    public static func selectedFlow(session: Session, state: UIState) -> Flow? {
        let rows = PaneData(session: session, state: state).rows(state)
        return FlowList.selectedIndex(rows, state).map { rows[$0] }
    }

    /// Pins the selection to the flow shown selected: the loop calls this before each
    /// frame, so a flow arriving on top (newest first) never takes the selection from the
    /// one the user is looking at, even before any key was pressed. A selection that is
    /// still listed costs one lookup, not a listing.
    public static func settle(_ state: inout UIState, session: Session) {
        if let id = state.selectedFlowID {
            let flow: Flow?
            if let frozen = state.frozen { flow = frozen.flows.first { $0.id == id } } else { flow = session.correlator.flow(id) }
            if let flow, FlowList.isListed(flow, state) { return }
        }
        let rows = PaneData(session: session, state: state).rows(state)
        guard let i = FlowList.selectedIndex(rows, state) else { return }
        state.selectedFlowID = rows[i].id
        state.journeyBack = 0
        state.detailTop = 0
    }
}
