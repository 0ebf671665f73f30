import HoptraceCapture
import HoptraceCore

/// What a capture reads from, opened while `watch` still holds its privileges: a pcap
/// handle per point and a conntrack subscription per watched namespace.
struct OpenedCapture {
    let sources: [PcapSource]
    /// Each watched namespace once, in the order of the points (nil: hoptrace's own).
    let namespaces: [String?]
    let conntrack: [ConntrackSource]
    /// When every point was capturing: journeys older than this were not seen whole.
    let capturingSince: EventTime

    /// Checks the kernel buffer budget first, then opens; removes the trace tables of runs
    /// that were killed (and says so on stderr).
    static func open(_ c: WatchConfiguration) throws -> OpenedCapture {
        do {
            try CaptureBudget.check(points: c.points.count, bufferMiB: Int(c.bufferSizeMiB))
        } catch {
            throw CaptureError.budget(error.description)
        }
        var options = PcapSource.Options()
        options.filter = c.filter
        options.bufferSize = c.bufferSizeMiB << 20
        let sources = try c.points.map { try PcapSource.open($0, options: options) }
        let allCapturing = Timestamp.now
        // One subscription per watched namespace; one without conntrack simply stays quiet.
        var namespaces: [String?] = []
        for p in c.points where !namespaces.contains(p.netns) { namespaces.append(p.netns) }
        // Trace tables of runs that were killed still mark packets here: remove them, and say so.
        for stale in TraceTableSweep.atStart(namespaces: namespaces) { Console.err("hoptrace: \(stale.report)") }
        let conntrack = c.noConntrack ? [] : try namespaces.map { ns in
            try ConntrackSource.open(in: ns.map { NetworkNamespace($0) }, receiveBuffer: c.conntrackBufferKiB << 10)
        }
        return OpenedCapture(sources: sources, namespaces: namespaces, conntrack: conntrack,
                             capturingSince: EventTime(seconds: allCapturing.seconds, micros: allCapturing.micros))
    }
}
