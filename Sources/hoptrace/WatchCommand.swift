import ArgumentParser
import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceCurses
import HoptraceLab
import HoptraceSystem

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow packets across namespaces: the live view, or text / NDJSON lines of packets, conntrack events and flows.",
        discussion: """
            Example: hoptrace watch -i htns1:eth0 -i hthost:docker1 -i hthost:enX0 -- icmp
            On a terminal this opens the live view (? lists its keys); --text, --json and --flows write lines instead.
            -r FILE replays a recording as text lines (or --json / --flows), on a terminal too: it opens no live view.
            Text lines: TIME NETNS:IFACE DIR (in|out|host|other) and a tcpdump-like summary.
            """)

    @Option(name: .customShort("i"), help: "Capture point [NETNS:]IFACE (repeatable). NETNS: a name in /run/netns or a path.")
    var interfaces: [String] = []
    @Option(help: "Capture on every interface that is up in this namespace (repeatable; a name in /run/netns or a path).")
    var netns: [String] = []
    @Flag(help: "Capture on the lab's five hop interfaces (see 'hoptrace lab').")
    var lab = false
    @Option(help: "Prefix of the lab's namespaces, with --lab.")
    var prefix = "ht"
    @Flag(help: "tcpdump-like text lines, conntrack -E lines and flow summaries (the default when stdout is not a terminal, and with -r).")
    var text = false
    @Flag(help: "NDJSON: one JSON object per packet, conntrack event and flow change (fields in README).")
    var json = false
    @Flag(help: "NDJSON of flow changes (and stats) only: what the correlator concludes, without the packets.")
    var flows = false
    @Flag(help: "Explain mode: trace the flows' packets with nftables in each watched namespace (a temporary table, removed on exit) and report the rule path and verdict.")
    var explain = false
    @Option(help: "Live view: redraws per second at most.")
    var refresh: Double = 10
    @Flag(help: "Live view without colours (also when NO_COLOR is set).")
    var noColor = false
    @Flag(help: "Live view: list link-local control flows (ND, MLD, IGMP, DHCP, link-scope multicast) one by one from the start, instead of one folded row per namespace ('a' toggles).")
    var all = false
    @Option(help: "Seconds a packet may take to reach its next expected hop before it counts as vanished.")
    var lossTimeout: Double = 1
    @Option(help: "Flows kept at most (least recently seen ones are evicted, and counted).")
    var maxFlows: Int = 50_000
    @Option(help: "Seconds between stats lines.")
    var statsInterval: Double = 5
    @Flag(help: "Do not subscribe to conntrack events.")
    var noConntrack = false
    @Option(help: "Receive buffer of each conntrack event socket, in KiB (small values provoke lost events).")
    var conntrackBuffer: Int32 = 65536
    @Flag(help: "On exit, print totals to stderr: per point packets received and dropped by the kernel and decoded by hoptrace; conntrack events and losses.")
    var summary = false
    @Option(help: "Stop after this many packets.")
    var count: Int?
    @Option(help: "Stop after this many seconds.")
    var duration: Double?
    @Option(help: "Kernel capture buffer per interface, in MiB.")
    var bufferSize: Int32 = 32
    @Option(name: [.customShort("w"), .customLong("write")], help: "Also record every capture point and conntrack event into this new pcapng file (mode 0600, never through a symlink; an existing file needs --force).")
    var writeFile: String?
    @Flag(help: "With -w: replace an existing regular file (never a symlink, a device or a file with other hard links).")
    var force = false
    @Option(name: [.customShort("r"), .customLong("read")], help: "Replay a recording (hoptrace's pcapng, or any pcapng/pcap file) instead of capturing; text lines unless --json or --flows (no live view).")
    var readFile: String?
    @Flag(help: .hidden) var debugCaps = false
    @Argument(parsing: .postTerminator, help: "tcpdump filter expression, after '--'.")
    var filter: [String] = []

    func points() throws -> [CapturePoint] {
        var points: [CapturePoint] = []
        for text in interfaces {
            guard let p = CapturePoint(parsing: text) else { throw ValidationError("bad capture point '\(text)': use [NETNS:]IFACE") }
            points.append(p)
        }
        for ns in netns {
            let found = try InterfaceDiscovery.capturePoints(in: NetworkNamespace(ns))
            guard !found.isEmpty else { throw CaptureError.pcap(point: ns, function: "pcap_findalldevs", message: "no interface is up in namespace \(ns)") }
            points += found.filter { !points.contains($0) }
        }
        if usesLab {
            let t = try LabTopology(prefix: prefix)
            points += t.capturePoints.map { CapturePoint(netns: $0.netns, iface: $0.iface) }
        }
        guard !points.isEmpty else {
            throw ValidationError("nothing to watch: give -i [NETNS:]IFACE, --netns NS or --lab (or start the lab: 'hoptrace lab up')")
        }
        return points
    }

    /// `--lab`, or nothing named and the lab is up: plain `hoptrace` opens the lab's view.
    var usesLab: Bool {
        if lab { return true }
        guard interfaces.isEmpty && netns.isEmpty && readFile == nil, let t = try? LabTopology(prefix: prefix) else { return false }
        return Lab(topology: t).isUp
    }

    func validate() throws {
        if readFile != nil && (lab || !interfaces.isEmpty || !netns.isEmpty) {
            throw ValidationError("-r replays a file: it takes no -i, --netns or --lab")
        }
        if readFile != nil && writeFile != nil { throw ValidationError("-r and -w do not combine") }
        if [json, text, flows].filter({ $0 }).count > 1 { throw ValidationError("choose one of --json, --text, --flows") }
        // Seconds become time arithmetic (and `Int64(Double)` traps past its range): finite and
        // sane, and NaN fails every comparison. An hour is far more than any hop takes.
        guard lossTimeout > 0 && lossTimeout <= 3600 else {
            throw ValidationError("--loss-timeout must be more than 0 and at most 3600 seconds (got \(lossTimeout))")
        }
        guard statsInterval > 0 && statsInterval.isFinite else {
            throw ValidationError("--stats-interval must be a positive number of seconds (got \(statsInterval))")
        }
        if let duration, !(duration > 0 && duration.isFinite) {
            throw ValidationError("--duration must be a positive number of seconds (got \(duration))")
        }
        guard CaptureBudget.bufferMiB.contains(Int(bufferSize)) else {
            throw ValidationError("--buffer-size must be \(CaptureBudget.bufferMiB.lowerBound) to \(CaptureBudget.bufferMiB.upperBound) MiB (got \(bufferSize))")
        }
        guard CaptureBudget.conntrackKiB.contains(Int(conntrackBuffer)) else {
            throw ValidationError("--conntrack-buffer must be \(CaptureBudget.conntrackKiB.lowerBound) to \(CaptureBudget.conntrackKiB.upperBound) KiB (got \(conntrackBuffer))")
        }
        guard maxFlows > 0 else { throw ValidationError("--max-flows must be positive") }
        guard refresh > 0 && refresh <= 100 else { throw ValidationError("--refresh must be between 0 and 100 per second") }
    }

    /// The live view unless a line format is asked for, the terminal is not one, or `-r`
    /// replays a file: a replay runs at the file's speed, not the wall clock's, and ends when
    /// the file does, so it prints text lines on a terminal too (`.none` would print nothing).
    var live: Bool { readFile == nil && !json && !text && !flows && isatty(0) == 1 && isatty(1) == 1 }
    var format: WatchPipeline.Format { json ? .json : flows ? .flows : live ? .none : .text }

    func run() throws {
        do {
            try runCatchingCaptureErrors()
        } catch let e as CaptureError {
            Console.err("hoptrace: \(e.description)")
            throw ExitCode.failure
        } catch let e as RecordingError {
            Console.err("hoptrace: \(e.description)")
            throw ExitCode.failure
        }
    }

    func runCatchingCaptureErrors() throws {
        if let readFile {
            try replay(readFile)
            return
        }
        // ip and nft run before the drop too (namespaces, stale tables, topology).
        Privileges.passToChildren(Capability.watchKeeps)
        let points = try points()
        do {
            try CaptureBudget.check(points: points.count, bufferMiB: Int(bufferSize))
        } catch {
            throw CaptureError.budget(error.description)
        }
        var options = PcapSource.Options()
        options.filter = filter.joined(separator: " ")
        options.bufferSize = bufferSize << 20
        let sources = try points.map { try PcapSource.open($0, options: options) }
        let allCapturing = Timestamp.now
        // One subscription per watched namespace; one without conntrack simply stays quiet.
        var namespaces: [String?] = []
        for p in points where !namespaces.contains(p.netns) { namespaces.append(p.netns) }
        // Trace tables of runs that were killed still mark packets here: remove them, and say so.
        for stale in TraceTableSweep.atStart(namespaces: namespaces) { Console.err("hoptrace: \(stale.report)") }
        let conntrack = noConntrack ? [] : try namespaces.map { ns in
            try ConntrackSource.open(in: ns.map { NetworkNamespace($0) }, receiveBuffer: conntrackBuffer << 10)
        }
        let pipeline = WatchPipeline(format: format, points: points, lossTimeout: lossTimeout, maxFlows: maxFlows)
        pipeline.session.correlator.capturingSince = EventTime(seconds: allCapturing.seconds, micros: allCapturing.micros)
        pipeline.readFacts = { NamespaceFactsReader.read(namespaces: namespaces) }
        pipeline.refreshFacts()
        // Without the topology flows still form, but nothing can be called vanished: say so, carry on.
        var topology: [NamespaceSources] = []
        do {
            topology = try TopologyDiscovery.sources(namespaces: namespaces)
            pipeline.use(topology: try TopologyDiscovery.topology(topology))
        } catch {
            Console.err("hoptrace: warning: \(error); hop paths unknown")
        }
        let recorder = try writeFile.map { path in
            try CaptureRecorder(path: path, replace: force, interfaces: sources.map {
                RecordedInterface(point: $0.point, linkType: LinkType.fileLinkType(ofDLT: Int($0.linkType)),
                                  snapLength: Int($0.snapLength), mac: $0.ownMAC)
            })
        }
        recorder?.record(topology: topology)
        // Everything privileged is open: keep only what the run still needs (reopening a capture
        // handle, nft, entering namespaces) and pass it on to the programs it starts.
        report(Privileges.keepOnly(Capability.watchKeeps))
        // On stderr, so NDJSON stays pure; scripts can wait for it before sending traffic.
        let ct = conntrack.map { $0.netns ?? "(current)" }
        Console.err("hoptrace: watching \(points.map(\.description).joined(separator: ", "))"
            + (ct.isEmpty ? "" : "; conntrack in \(ct.joined(separator: ", "))"))
        let loop = CaptureLoop(sources: sources, conntrack: conntrack)
        loop.statsInterval = statsInterval
        func openExplainer() throws -> Explainer {
            if let e = pipeline.explainer { return e }
            do {
                let e = try Explainer(namespaces: namespaces)
                pipeline.explainer = e
                return e
            } catch {
                throw CaptureError.explain("\(error)")
            }
        }
        // Every way out of here removes the trace tables (a SIGKILL leaves one: the next start removes it).
        defer { pipeline.explainer?.close() }
        // From the first table on, a stop signal only sets the flag the loop reads: one arriving
        // while the tables go in (just after "watching") ends the run at its first turn, cleaned up.
        StopSignal.install()
        if explain {
            _ = try openExplainer()
            pipeline.traceNewFlows = true
        }
        var decoded: [CapturePoint: Int] = [:]
        func handle(_ event: CaptureLoop.Event) {
            if summary, case .packet(let point, _, _) = event { decoded[point, default: 0] += 1 }
            recorder?.record(event)
            pipeline.handle(event)
        }
        func now() -> EventTime {
            let t = Timestamp.now
            return EventTime(seconds: t.seconds, micros: t.micros)
        }
        /// The clock verdicts are settled by: the wall clock, held back to the packets read
        /// so far while the loop is behind (else journeys would "vanish" unread).
        func settleClock() -> EventTime {
            guard let t = loop.caughtUpTo else { return now() }
            return min(now(), EventTime(seconds: t.seconds, micros: t.micros))
        }
        if live {
            guard let terminal = CursesTerminal(color: !noColor) else {
                throw CaptureError.terminal("the live view needs a terminal on stdin and stdout; use --text or --json")
            }
            let lab = usesLab ? Lab(topology: try LabTopology(prefix: prefix)) : nil
            let view = LiveView(terminal: terminal, pipeline: pipeline, lab: lab, filterExpression: options.filter,
                                refresh: refresh, showControl: all, openExplainer: openExplainer)
            defer { view.restore() }
            pipeline.onChange = { view.changed() }
            loop.run(limit: count, duration: duration, wake: { [terminal.inputFD] + (pipeline.explainer?.fds ?? []) },
                     readable: { fd in fd == terminal.inputFD ? view.readInput() : pipeline.traceReadable(now: now()) },
                     stop: { view.stopRequested || recorder?.failure != nil },
                     turnEnded: {
                         pipeline.advance(to: settleClock())
                         view.tick()
                     }, handle)
        } else {
            loop.run(limit: count, duration: duration, wake: { pipeline.explainer?.fds ?? [] },
                     readable: { _ in pipeline.traceReadable(now: now()) },
                     // stdout's reader gone (`| head`) ends the run like Ctrl-C: cleanup runs, exit 0.
                     stop: { recorder?.failure != nil || Output.readerGone },
                     turnEnded: {
                         pipeline.advance(to: settleClock())
                         Output.flush()
                     }, handle)
        }
        // A recording that failed (a full disk) stops the loop and fails the run, after the
        // lines already earned are printed: an incomplete file must not pass for a whole one.
        let recorded = Result { () throws(RecordingError) in if let recorder { try recorder.close() } }
        let end = Timestamp.now
        pipeline.finish(at: EventTime(seconds: end.seconds, micros: end.micros))
        Output.flush()
        if summary {
            let st = loop.stats
            let points = st.points.map { "\($0.point) received \($0.received) dropped \($0.dropped) decoded \(decoded[$0.point] ?? 0)" }
            let flows = pipeline.session.correlator.stats
            Console.err("hoptrace: summary \(points.joined(separator: "; ")); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns); "
                + "flows \(flows.created) created, \(flows.live) live, \(flows.evicted) evicted")
        }
        try recorded.get()
    }

    /// A drop that left a thread holding more is a warning (the run is still correct, only less
    /// confined); `--debug-caps` prints every thread's credentials (the tests read them).
    func report(_ outcome: Privileges.Outcome) {
        for step in outcome.steps { Console.err("hoptrace: warning: dropping privileges: \(step)") }
        for t in outcome.threadsHoldingMore {
            Console.err("hoptrace: warning: thread \(t.tid) still holds \(t.credentials.summary)")
        }
        guard debugCaps else { return }
        for t in Privileges.eachThread() { Console.err("hoptrace: caps: tid \(t.tid) \(t.credentials.summary)") }
    }

    /// `-r FILE`: the same pipeline over a recording. The recording's own topology (if
    /// hoptrace wrote it) gives the paths; the clock is the events' time, and at the end
    /// it runs on by the loss timeout so the last journeys get their verdicts.
    func replay(_ path: String) throws {
        var pipeline: WatchPipeline?
        var points: [CapturePoint] = []
        var last = EventTime(micros: 0)
        func ensurePipeline() -> WatchPipeline {
            if let pipeline { return pipeline }
            let p = WatchPipeline(format: format, points: points, lossTimeout: lossTimeout, maxFlows: maxFlows)
            pipeline = p
            return p
        }
        defer { Output.flush() }
        // A recording is someone else's bytes: read them with no privileges at all.
        try ReplaySource(path: path).run(limit: count, opened: { report(Privileges.dropAll()) }, stop: { Output.readerGone }, interfaces: { points = $0.map(\.point) }, topology: { sources in
            do {
                ensurePipeline().use(topology: try TopologyDiscovery.topology(sources.get()), watching: points)
            } catch {
                Console.err("hoptrace: warning: the recording's topology: \(error); hop paths unknown")
            }
        }) { event in
            let p = ensurePipeline()
            let time: EventTime? = switch event {
            case .packet(_, let pkt, _): EventTime(seconds: pkt.seconds, micros: pkt.micros)
            case .conntrack(_, _, let s, let us): EventTime(seconds: s, micros: us)
            default: nil
            }
            // Verdicts due before this event are settled first, as a live run would have.
            if let time, time > last {
                p.advance(to: time)
                last = time
            }
            p.handle(event)
        }
        let end = last.adding(seconds: lossTimeout).adding(micros: 1)
        pipeline?.advance(to: end)
        pipeline?.finish(at: end)
    }
}

/// One line to stdout. Lines collect in a buffer written once per loop turn (or
/// every 64 KiB): one write per packet would cost more than decoding it, and a
/// turn lasts at most the poll timeout, so a reader still sees lines at once.
/// Every line passes `TerminalText.safe` (names print escaped, a line stays one line);
/// NDJSON lines come out unchanged, since `JSONLine` already escapes the same characters.
func emit(_ line: String) {
    Output.buffer.append(contentsOf: TerminalText.safe(line).utf8)
    Output.buffer.append(0x0A)
    if Output.buffer.count >= 1 << 16 { Output.flush() }
}

enum Output {
    nonisolated(unsafe) static var buffer: [UInt8] = {
        var b = [UInt8]()
        b.reserveCapacity(1 << 17)
        return b
    }()

    /// stdout's reader went away (EPIPE: `| head -1` has what it wanted; SIGPIPE is ignored,
    /// see `Hoptrace.main`). The run's loop stops on it and ends normally, cleanup included;
    /// nothing more is written.
    nonisolated(unsafe) static var readerGone = false

    static func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !readerGone else { return }
        buffer.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = write(1, raw.baseAddress! + at, raw.count - at)
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EPIPE { readerGone = true }
                if n <= 0 { break }
                at += n
            }
        }
    }
}
