import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceCurses
import HoptraceLab
import HoptraceTUI

/// The full-screen view over the capture loop: keys are read the moment they arrive
/// (the terminal's descriptor is in the loop's poll), the screen is redrawn at most
/// `refresh` times a second while something changes and at once after a key, and
/// nothing is drawn while nothing changes (idle does not spin). The terminal is
/// restored on every way out.
final class LiveView {
    let terminal: CursesTerminal
    let pipeline: WatchPipeline
    let lab: Lab?
    let filterExpression: String
    let refresh: Double
    var explain: Explainer?
    let openExplainer: () throws -> Explainer
    /// `w`: opens a capture point mid-run; returns what the status line says.
    var watchPoint: ((CapturePoint) -> String)?
    private var state = UIState()
    private var quit = false
    private var dirty = true
    private var lastDraw = -Double.infinity
    private var lastPackets = -1

    init(terminal: CursesTerminal, pipeline: WatchPipeline, lab: Lab?, filterExpression: String, refresh: Double,
         showControl: Bool, openExplainer: @escaping () throws -> Explainer) {
        self.terminal = terminal
        self.pipeline = pipeline
        self.lab = lab
        self.filterExpression = filterExpression
        self.refresh = refresh
        self.openExplainer = openExplainer
        state.showControl = showControl
        if let d = pipeline.standing.first?.diagnosis { state.message = "\(d.reason); fix: \(d.fix ?? "-")" }
    }

    var context: RenderContext {
        let size = terminal.size
        return RenderContext(width: size.width, height: size.height, unicode: terminal.unicode, labKeys: lab != nil,
                             filterExpression: filterExpression, color: terminal.color)
    }

    var stopRequested: Bool { quit || CursesTerminal.stopRequested }

    /// Keys that arrived: handled now, and the screen follows at once.
    func readInput() {
        for input in terminal.readInputs() {
            switch TUI.handle(input, state: &state, session: pipeline.session, context: context) {
            case .quit: quit = true
            case .ignored: continue
            case .handled, .redraw: break
            case .action(.lab(let action)): apply(action)
            case .action(.explain): toggleExplain()
            case .action(.watch(let point)): state.message = watchPoint?(point) ?? "watch: not while replaying"
            }
            dirty = true
        }
        if dirty { draw(force: true) }
    }

    /// After each loop turn: redraw when something moved and the tick has passed.
    func tick() {
        let packets = pipeline.session.points.reduce(0) { $0 + $1.packets } + pipeline.session.conntrackEvents
        if packets != lastPackets {
            lastPackets = packets
            dirty = true
        }
        draw(force: false)
    }

    /// Flow changes (verdicts settling, flows ending) also count as movement.
    func changed() { dirty = true }

    private func draw(force: Bool) {
        let now = Monotonic.now
        // A frame looks at every flow: with tens of thousands, a few frames a second is plenty.
        let interval = max(1 / refresh, Double(pipeline.session.correlator.stats.live) / 40_000)
        guard dirty, force || now - lastDraw >= interval else { return }
        TUI.settle(&state, session: pipeline.session)
        terminal.draw(TUI.render(session: pipeline.session, state: state, context: context))
        lastDraw = now
        dirty = false
    }

    private func apply(_ action: HoptraceTUI.LabAction) {
        guard let lab else { return }
        do {
            let k = try lab.knobs()
            let message: String
            switch action {
            case .toggleNAT:
                try lab.set(.nat(!k.nat))
                message = k.nat ? "lab: MASQUERADE removed (S1: the private source leaves enX0 untranslated)" : "lab: MASQUERADE added (S2)"
            case .toggleForwardDrop:
                try lab.set(.forward(k.forwardDrop ? .accept : .drop))
                message = k.forwardDrop ? "lab: FORWARD policy ACCEPT" : "lab: FORWARD policy DROP (S3: forwarded packets die in hthost)"
            case .toggleReturnRule:
                // The return rule only matters with outbound allowed under DROP (S4): set both sides of it.
                if !k.returnRule { try lab.set(.outboundRule(true)) }
                try lab.set(.returnRule(!k.returnRule))
                message = k.returnRule ? "lab: RELATED,ESTABLISHED return rule removed (S4 under DROP)" : "lab: return rule added"
            }
            pipeline.refreshFacts()
            state.message = message
        } catch {
            state.message = "lab: \(error)"
        }
    }

    private func toggleExplain() {
        if let explain {
            state.message = explain.close()
            self.explain = nil
            return
        }
        guard let flow = TUI.selectedFlow(session: pipeline.session, state: state) else {
            state.message = "explain: select a flow first"
            return
        }
        do {
            let e = try openExplainer()
            state.message = try e.trace(flow)
            explain = e
        } catch {
            state.message = "explain: \(error)"
        }
    }

    func restore() { terminal.restore() }
}
