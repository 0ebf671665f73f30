import HoptraceCapture
import HoptraceCore
import HoptraceCurses
import HoptraceLab
import HoptraceSystem

extension WatchRun {
    /// Capturing: everything opened while privileged, then only what the run still needs kept,
    /// then one loop until a stop (a signal, --count, --duration, `q`, a failed recording,
    /// stdout's reader gone), the final lines and `--summary`.
    func capture() throws {
        let c = configuration
        // ip and nft run before the drop too (namespaces, stale tables, topology).
        Privileges.passToChildren(Capability.watchKeeps)
        let opened = try OpenedCapture.open(c)
        let namespaces = opened.namespaces
        let pipeline = WatchPipeline(points: c.points, lossTimeout: c.lossTimeout, maxFlows: c.maxFlows,
                                     keepsPacketLog: c.format == .liveView, sinks: lineSink().map { [$0] } ?? [])
        pipeline.session.correlator.capturingSince = opened.capturingSince
        if !c.proxies.isEmpty { pipeline.proxyLinker = ProxyLinker(proxies: c.proxies) }
        pipeline.readFacts = { NamespaceFactsReader.read(namespaces: namespaces) }
        pipeline.rulesets = RulesetCache(namespaces: namespaces)
        // Opened inside each namespace now, while entering them is still allowed; read all run long.
        pipeline.counterFiles = CounterFiles.open(namespaces: namespaces)
        if c.dropReasons {
            // From the instance on, Ctrl-C / SIGTERM only set the flag: the loop ends and the defer removes it.
            StopSignal.install()
            do {
                pipeline.dropReasons = try DropReasonTrace.open()
            } catch {
                Console.err("hoptrace: note: kernel drop reasons unavailable: \(error); verdicts cite the namespaces' counters only")
            }
        }
        // Every way out removes the tracefs instance (a SIGKILL leaves one: the next start removes it).
        defer {
            if let left = pipeline.dropReasons?.close() { Console.err("hoptrace: warning: \(left)") }
        }
        pipeline.refreshFacts()
        // Without the topology flows still form, but nothing can be called vanished: say so, carry on.
        var topology: [NamespaceSources] = []
        do {
            topology = try TopologyDiscovery.sources(namespaces: namespaces)
            pipeline.use(topology: try TopologyDiscovery.topology(topology))
        } catch {
            Console.err("hoptrace: warning: \(error); hop paths unknown")
        }
        let recorder = try c.writeFile.map { path in
            try CaptureRecorder(path: path, replace: c.force, interfaces: opened.sources.map {
                RecordedInterface(point: $0.point, linkType: LinkType.fileLinkType(ofDLT: Int($0.linkType)),
                                  snapLength: Int($0.snapLength), mac: $0.ownMAC)
            })
        }
        recorder?.record(topology: topology)
        if let recorder { pipeline.sinks.append(RecorderSink(recorder)) }
        // Said once, so a recording knows the reasons were traced (a replay then says "none" as this run does).
        if pipeline.dropReasons != nil { pipeline.handle(.dropReasons(DropReasonRecord(entries: [], forDiagnosis: false))) }
        // The first sample before "watching" (and into the recording): a drop right after it has a baseline.
        let start = Timestamp.now
        pipeline.sampleCounters(now: EventTime(seconds: start.seconds, micros: start.micros))
        // Everything privileged is open: keep only what the run still needs (reopening a capture
        // handle, nft, entering namespaces) and pass it on to the programs it starts.
        if c.dropsPrivileges { report(Privileges.keepOnly(Capability.watchKeeps)) }
        // On stderr, so NDJSON stays pure.
        for source in opened.conntrack where source.existingCut {
            Console.err("hoptrace: note: the conntrack table in \(source.netns ?? "this namespace") holds more than \(ConntrackSource.dumpLimit) entries: "
                + "the first \(ConntrackSource.dumpLimit) are shown as existing flows, the others once they change")
        }
        let loop = CaptureLoop(sources: opened.sources, conntrack: opened.conntrack)
        loop.keepBytes = recorder != nil
        loop.statsInterval = c.statsInterval
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
        // while the tables go in ends the run at its first turn, cleaned up.
        StopSignal.install()
        if c.explain {
            _ = try openExplainer()
            pipeline.traceNewFlows = true
        }
        // After the drop: the watcher's thread holds no more than the loop.
        let containers = try c.containerWatch.map { try ContainerWatcher($0) }
        defer { containers?.stop() }
        // On stderr, so NDJSON stays pure. Said once everything is in place (explain mode's trace
        // tables too): a script may wait for it before sending traffic.
        let ct = opened.conntrack.map { $0.netns ?? "(current)" }
        Console.err("hoptrace: watching \(c.points.map(\.description).joined(separator: ", "))"
            + (ct.isEmpty ? "" : "; conntrack in \(ct.joined(separator: ", "))"))
        /// A descriptor the loop found readable: the engines' news, or the kernel's trace.
        func readable(_ fd: Int32) {
            guard let containers, let watch = c.containerWatch, fd == containers.fd else {
                pipeline.traceReadable(now: now())
                return
            }
            for change in containers.drain() {
                let n = watch.notice(change, points: c.points)
                pipeline.notice(n.kind, n.message)
            }
        }
        func wakeFDs() -> [Int32] { (containers.map { [$0.fd] } ?? []) + (pipeline.explainer?.fds ?? []) }
        var decoded: [CapturePoint: Int] = [:]
        func handle(_ event: CaptureLoop.Event) {
            if c.summary, case .packet(let point, _, _) = event { decoded[point, default: 0] += 1 }
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
        if c.format == .liveView {
            guard let terminal = CursesTerminal(color: c.color) else {
                throw CaptureError.terminal("the live view needs a terminal on stdin and stdout; use --text or --json")
            }
            let view = LiveView(terminal: terminal, pipeline: pipeline, lab: c.lab.map { Lab(topology: $0) }, filterExpression: c.filter,
                                refresh: c.refresh, showControl: c.showControl, openExplainer: openExplainer)
            defer { view.restore() }
            view.watchPoint = { point in
                guard !loop.points.contains(point) else { return "watch: \(point) is watched already" }
                do {
                    try CaptureBudget.check(points: loop.points.count + 1, bufferMiB: Int(c.bufferSizeMiB))
                    var options = PcapSource.Options()
                    options.filter = c.filter
                    options.bufferSize = c.bufferSizeMiB << 20
                    loop.add(try PcapSource.open(point, options: options))
                    pipeline.watch(point)
                    return "watching \(point) too" + (recorder == nil ? "" : " (not in the recording: it has the points it started with)")
                } catch {
                    return "watch: \(error)"
                }
            }
            pipeline.sinks.append(LiveViewSink(view))
            loop.run(limit: c.count, duration: c.duration, wake: { [terminal.inputFD] + wakeFDs() },
                     readable: { fd in fd == terminal.inputFD ? view.readInput() : readable(fd) },
                     stop: { view.stopRequested || recorder?.failure != nil },
                     turnEnded: {
                         pipeline.sampleCounters(now: now())
                         pipeline.advance(to: settleClock())
                         view.tick()
                     }, handle)
        } else {
            loop.run(limit: c.count, duration: c.duration, wake: wakeFDs,
                     readable: readable,
                     // stdout's reader gone (`| head`) ends the run like Ctrl-C: cleanup runs, exit 0.
                     stop: { recorder?.failure != nil || output.readerGone },
                     turnEnded: {
                         pipeline.sampleCounters(now: now())
                         pipeline.advance(to: settleClock())
                         output.flush()
                     }, handle)
        }
        // A recording that failed (a full disk) stops the loop and fails the run, after the
        // lines already earned are printed: an incomplete file must not pass for a whole one.
        let recorded = Result { () throws(RecordingError) in if let recorder { try recorder.close() } }
        let end = Timestamp.now
        pipeline.finish(at: EventTime(seconds: end.seconds, micros: end.micros))
        output.flush()
        if c.summary {
            let st = loop.stats
            let points = st.points.map { "\($0.point) received \($0.received) dropped \($0.dropped) decoded \(decoded[$0.point] ?? 0)" }
            let flows = pipeline.session.correlator.stats
            Console.err("hoptrace: summary \(points.joined(separator: "; ")); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns); "
                + "flows \(flows.created) created, \(flows.live) live, \(flows.evicted) evicted")
        }
        try recorded.get()
    }
}
