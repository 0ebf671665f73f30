import ArgumentParser
import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceLab

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Capture on many interfaces across namespaces and print what each one sees.",
        discussion: """
            Example: hoptrace watch -i htns1:eth0 -i hthost:docker1 -i hthost:enX0 -- icmp
            Lines: TIME NETNS:IFACE DIR (in|out|host|other) and a tcpdump-like summary.
            """)

    @Option(name: .customShort("i"), help: "Capture point [NETNS:]IFACE (repeatable). NETNS: a name in /run/netns or a path.")
    var interfaces: [String] = []
    @Option(help: "Capture on every interface that is up in this namespace (repeatable; a name in /run/netns or a path).")
    var netns: [String] = []
    @Flag(help: "Capture on the lab's five hop interfaces (see 'hoptrace lab').")
    var lab = false
    @Option(help: "Prefix of the lab's namespaces, with --lab.")
    var prefix = "ht"
    @Flag(help: "tcpdump-like text lines (the default until the live view lands).")
    var text = false
    @Flag(help: "NDJSON: one JSON object per packet or conntrack event (fields in README).")
    var json = false
    @Option(help: "Seconds between stats lines.")
    var statsInterval: Double = 5
    @Flag(help: "Do not subscribe to conntrack events.")
    var noConntrack = false
    @Option(help: "Receive buffer of each conntrack event socket, in KiB (small values provoke lost events).")
    var conntrackBuffer: Int32 = 8192
    @Flag(help: "On exit, print totals to stderr: per point packets received and dropped by the kernel and decoded by hoptrace; conntrack events and losses.")
    var summary = false
    @Option(help: "Stop after this many packets.")
    var count: Int?
    @Option(help: "Stop after this many seconds.")
    var duration: Double?
    @Option(help: "Kernel capture buffer per interface, in MiB.")
    var bufferSize: Int32 = 32
    @Option(name: [.customShort("w"), .customLong("write")], help: "Also record every capture point and conntrack event into this pcapng file.")
    var writeFile: String?
    @Option(name: [.customShort("r"), .customLong("read")], help: "Replay a recording (hoptrace's pcapng, or any pcapng/pcap file) instead of capturing.")
    var readFile: String?
    @Argument(parsing: .postTerminator, help: "tcpdump filter expression, after '--'.")
    var filter: [String] = []

    func points() throws -> [CapturePoint] {
        var points: [CapturePoint] = []
        for text in interfaces {
            guard let p = CapturePoint(parsing: text) else { throw ValidationError("bad capture point '\(text)': use [NETNS:]IFACE") }
            points.append(p)
        }
        for ns in netns {
            let path = ns.hasPrefix("/") ? ns : "/run/netns/" + ns
            let found = try InterfaceDiscovery.capturePoints(netns: ns, netnsPath: path)
            guard !found.isEmpty else { throw CaptureError.pcap(point: ns, function: "pcap_findalldevs", message: "no interface is up in namespace \(ns)") }
            points += found.filter { !points.contains($0) }
        }
        if lab {
            let t = try LabTopology(prefix: prefix)
            points += t.capturePoints.map { CapturePoint(netns: $0.netns, iface: $0.iface) }
        }
        guard !points.isEmpty else { throw ValidationError("nothing to watch: give -i [NETNS:]IFACE, --netns NS or --lab") }
        return points
    }

    func validate() throws {
        if readFile != nil && (lab || !interfaces.isEmpty || !netns.isEmpty) {
            throw ValidationError("-r replays a file: it takes no -i, --netns or --lab")
        }
        if readFile != nil && writeFile != nil { throw ValidationError("-r and -w do not combine") }
    }

    func run() throws {
        do {
            try runCatchingCaptureErrors()
        } catch let e as CaptureError {
            FileHandle.standardError.write(Data("hoptrace: \(e.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    func runCatchingCaptureErrors() throws {
        if let readFile {
            defer { Output.flush() }
            try ReplaySource(path: readFile).run(limit: count) { event in
                emit(json ? Self.json(event) : Self.text(event))
            }
            return
        }
        let points = try points()
        var options = PcapSource.Options()
        options.filter = filter.joined(separator: " ")
        options.bufferSize = bufferSize << 20
        let sources = try points.map { try PcapSource.open($0, options: options) }
        // One subscription per watched namespace; one without conntrack simply stays quiet.
        var namespaces: [CapturePoint] = []
        for p in points where !namespaces.contains(where: { $0.netns == p.netns }) { namespaces.append(p) }
        let conntrack = noConntrack ? [] : try namespaces.map { 
            try ConntrackSource.open(netns: $0.netns, netnsPath: $0.netnsPath, receiveBuffer: conntrackBuffer << 10)
        }
        // On stderr, so NDJSON stays pure; scripts can wait for it before sending traffic.
        let ct = conntrack.map { $0.netns ?? "(current)" }
        FileHandle.standardError.write(Data((
            "hoptrace: watching \(points.map(\.description).joined(separator: ", "))"
            + (ct.isEmpty ? "" : "; conntrack in \(ct.joined(separator: ", "))") + "\n").utf8))
        let recorder = try writeFile.map { path in
            try CaptureRecorder(path: path, interfaces: sources.map {
                RecordedInterface(point: $0.point, linkType: LinkType.fileLinkType(ofDLT: Int($0.linkType)), snapLength: Int($0.snapLength), mac: $0.ownMAC)
            })
        }
        let loop = CaptureLoop(sources: sources, conntrack: conntrack)
        loop.statsInterval = statsInterval
        var decoded: [CapturePoint: Int] = [:]
        loop.run(limit: count, duration: duration, turnEnded: Output.flush) { event in
            if summary, case .packet(let point, _, _) = event { decoded[point, default: 0] += 1 }
            recorder?.record(event)
            emit(json ? Self.json(event) : Self.text(event))
        }
        recorder?.close()
        if summary {
            let st = loop.stats
            let points = st.points.map { "\($0.point) received \($0.received) dropped \($0.dropped) decoded \(decoded[$0.point] ?? 0)" }
            FileHandle.standardError.write(Data(
                "hoptrace: summary \(points.joined(separator: "; ")); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns)\n".utf8))
        }
    }

    static func text(_ event: CaptureLoop.Event) -> String {
        switch event {
        case .packet(let point, let pkt, let decoded):
            let time = Timestamp.time(seconds: pkt.seconds, micros: pkt.micros)
            switch decoded {
            case .success(let p): return PacketText.line(p, at: point, time: time)
            case .failure(let e): return "\(time) \(point) malformed: \(e)"
            }
        case .conntrack(let netns, let event, let seconds, let micros):
            return ConntrackText.line(event, netns: netns, time: Timestamp.time(seconds: seconds, micros: micros))
        case .conntrackLost(let netns, let overruns):
            return "hoptrace: conntrack events lost in \(netns ?? "this namespace") (ENOBUFS, \(overruns) times); the table is dumped again"
        case .stats(let st):
            let points = st.points.map { "\($0.point) recv \($0.received) drop \($0.dropped)" }.joined(separator: ", ")
            return "hoptrace: stats \(points); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns)"
        case .pointLost(let point, let reason):
            return "hoptrace: capture point \(point) is gone (\(reason)); the others keep running"
        }
    }

    static func json(_ event: CaptureLoop.Event) -> String {
        switch event {
        case .packet(let point, let pkt, let decoded):
            switch decoded {
            case .success(let p): return EventJSON.packet(p, at: point, seconds: pkt.seconds, micros: pkt.micros)
            case .failure(let e):
                return EventJSON.notice("malformed", netns: point.netns, seconds: pkt.seconds, micros: pkt.micros,
                                        message: "\(point.iface): \(e)")
            }
        case .conntrack(let netns, let event, let seconds, let micros):
            return EventJSON.conntrack(event, netns: netns, seconds: seconds, micros: micros)
        case .conntrackLost(let netns, let overruns):
            let now = Timestamp.now
            return EventJSON.notice("conntrack-lost", netns: netns, seconds: now.seconds, micros: now.micros,
                                    message: "ENOBUFS: events lost (\(overruns) times); the table is dumped again (event: existing)")
        case .stats(let st):
            let now = Timestamp.now
            return EventJSON.stats(
                points: st.points.map { ($0.point, Int($0.received), Int($0.dropped)) },
                conntrackEvents: st.conntrackEvents, conntrackLost: st.conntrackOverruns,
                seconds: now.seconds, micros: now.micros)
        case .pointLost(let point, let reason):
            let now = Timestamp.now
            return EventJSON.notice("point-lost", netns: point.netns, seconds: now.seconds, micros: now.micros,
                                    message: "\(point.iface) is gone: \(reason)")
        }
    }
}

/// One line to stdout. Lines collect in a buffer written once per loop turn (or
/// every 64 KiB): one write per packet would cost more than decoding it, and a
/// turn lasts at most the poll timeout, so a reader still sees lines at once.
func emit(_ line: String) {
    Output.buffer.append(contentsOf: line.utf8)
    Output.buffer.append(0x0A)
    if Output.buffer.count >= 1 << 16 { Output.flush() }
}

enum Output {
    nonisolated(unsafe) static var buffer: [UInt8] = {
        var b = [UInt8]()
        b.reserveCapacity(1 << 17)
        return b
    }()

    static func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = write(1, raw.baseAddress! + at, raw.count - at)
                if n <= 0 { if errno == EINTR { continue } else { break } }
                at += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
