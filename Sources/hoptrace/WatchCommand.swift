import ArgumentParser
import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceLab
import HoptracePipeline

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
    @Option(help: "Capture on every interface that is up in this namespace (repeatable; a name in /run/netns, a container, or a path).")
    var netns: [String] = []
    @Option(help: "Watch a container (name or ID prefix; repeatable): its interfaces, its veth's other end, that bridge and the uplink.")
    var container: [String] = []
    @Flag(help: "Watch every running container, their bridges and the uplink (Docker, and Podman's service when it runs).")
    var docker = false
    @Option(help: "The container engine's socket: unix:///PATH (default: DOCKER_HOST, else /var/run/docker.sock).")
    var dockerHost: String?
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
    @Flag(help: "Do not trace the kernel's drop reasons (skb:kfree_skb in a tracefs instance of hoptrace's own, removed on exit); verdicts then cite the namespaces' counters only.")
    var noDropReasons = false
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

    func points() throws -> ContainerTargets.Resolved {
        var points: [CapturePoint] = []
        for text in interfaces {
            guard let p = CapturePoint(parsing: text) else { throw ValidationError("bad capture point '\(text)': use [NETNS:]IFACE") }
            points.append(p)
        }
        if usesLab {
            let t = try LabTopology(prefix: prefix)
            points += t.capturePoints.map { CapturePoint(netns: $0.netns, iface: $0.iface) }
        }
        let resolved = try ContainerTargets(containers: container, allContainers: docker, dockerHost: dockerHost, namespaces: netns).resolve(points)
        guard !resolved.points.isEmpty else {
            throw ValidationError("nothing to watch: give -i [NETNS:]IFACE, --netns NS, --container NAME, --docker or --lab (or start the lab: 'hoptrace lab up')")
        }
        return resolved
    }

    /// `--lab`, or nothing named and the lab is up: plain `hoptrace` opens the lab's view.
    var usesLab: Bool {
        if lab { return true }
        guard interfaces.isEmpty && netns.isEmpty && container.isEmpty && !docker && readFile == nil, let t = try? LabTopology(prefix: prefix) else { return false }
        return Lab(topology: t).isUp
    }

    func validate() throws {
        if readFile != nil && (lab || !interfaces.isEmpty || !netns.isEmpty || !container.isEmpty || docker) {
            throw ValidationError("-r replays a file: it takes no -i, --netns, --container, --docker or --lab")
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
    /// the file does, so it prints text lines on a terminal too (the live view's format would print nothing).
    var live: Bool { readFile == nil && !json && !text && !flows && isatty(0) == 1 && isatty(1) == 1 }
    var format: WatchConfiguration.Format { json ? .json : flows ? .flows : live ? .liveView : .text }

    /// The options as a run needs them. Capture points and the lab are looked up only when
    /// capturing (a replay takes its points from the file).
    func configuration() throws -> WatchConfiguration {
        var c = WatchConfiguration(format: format)
        if readFile == nil {
            let resolved = try points()
            c.points = resolved.points
            c.containerWatch = resolved.watch
            c.proxies = resolved.proxies
            if usesLab { c.lab = try LabTopology(prefix: prefix) }
        }
        c.filter = filter.joined(separator: " ")
        c.lossTimeout = lossTimeout
        c.maxFlows = maxFlows
        c.statsInterval = statsInterval
        c.noConntrack = noConntrack
        c.conntrackBufferKiB = conntrackBuffer
        c.summary = summary
        c.count = count
        c.duration = duration
        c.bufferSizeMiB = bufferSize
        c.writeFile = writeFile
        c.force = force
        c.readFile = readFile
        c.explain = explain
        c.dropReasons = !noDropReasons
        c.refresh = refresh
        c.color = !noColor
        c.showControl = all
        c.debugCaps = debugCaps
        return c
    }

    func run() throws {
        do {
            try WatchRun(configuration: configuration()).run()
        } catch let e as CaptureError {
            Console.err("hoptrace: \(e.description)")
            throw ExitCode.failure
        } catch let e as RecordingError {
            Console.err("hoptrace: \(e.description)")
            throw ExitCode.failure
        }
    }
}
