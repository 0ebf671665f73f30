import HoptraceCore

/// `watch -w FILE.pcapng`: every capture point's packets and every conntrack
/// event into one pcapng file, in the order the loop sees them. The first failed
/// write is kept in `failure`: nothing more is written, the loop stops on it, and
/// `close` throws it (the recording is incomplete, the run must not look fine).
public final class CaptureRecorder {
    private let file: RecordingFile
    private var index: [CapturePoint: Int] = [:]
    public private(set) var failure: RecordingError?
    /// Each namespace's counters as last written: the next record carries what moved.
    private var lastCounters: [String?: [String: UInt64]] = [:]
    /// A batch of drop reasons was written (the first, even empty, says they were traced).
    private var hasReasons = false
    public var path: String { file.path }

    /// `replace` is `--force`: see `RecordingFile.create` for what is refused even then.
    public convenience init(path: String, replace: Bool, interfaces: [RecordedInterface]) throws(RecordingError) {
        self.init(file: try RecordingFile.create(path: path, replace: replace), interfaces: interfaces)
    }

    public init(file: RecordingFile, interfaces: [RecordedInterface]) {
        self.file = file
        write(PcapngWriter.sectionHeader(application: "hoptrace \(HoptraceVersion.string)"))
        for (i, interface) in interfaces.enumerated() {
            index[interface.point] = i
            write(PcapngWriter.interface(interface))
        }
    }

    /// The namespaces' topology as it was read at start: a replay walks the same paths.
    public func record(topology: [NamespaceSources]) {
        for t in topology { write(PcapngWriter.custom(t.encoded)) }
    }

    /// Writes what the loop produced; stats and notices are not part of the record
    /// (capture losses are: they change verdicts).
    public func record(_ event: CaptureLoop.Event) {
        switch event {
        case .packet(let point, let pkt, let decoded):
            guard let i = index[point] else { return }
            let direction: UInt32 = switch (try? decoded.get())?.direction {
            case .inbound?: 1
            case .outbound?: 2
            default: 0
            }
            write(PcapngWriter.packet(
                interface: i, micros: Int64(pkt.seconds) * 1_000_000 + Int64(pkt.micros),
                captured: pkt.bytes, wireLength: pkt.wireLength, direction: direction))
        case .conntrack(let netns, let e, let seconds, let micros):
            let record = ConntrackRecord(netns: netns, micros: Int64(seconds) * 1_000_000 + Int64(micros), event: e)
            write(PcapngWriter.custom(record.encoded))
        case .captureLoss(let point, let dropped, let from, let to):
            // A replay needs it to judge the journeys missing there as the live run did.
            let record = CaptureLossRecord(point: point, dropped: dropped, from: EventTime(seconds: from.seconds, micros: from.micros),
                                           to: EventTime(seconds: to.seconds, micros: to.micros))
            write(PcapngWriter.custom(record.encoded))
        case .kernelCounters(let netns, let values, let time, let forDiagnosis):
            // Only what moved; a still sample only when a verdict took it ("nothing moved" is its finding).
            let moved = KernelCounterRecord.changes(from: lastCounters[netns], to: values)
            guard !moved.isEmpty || forDiagnosis || lastCounters[netns] == nil else { return }
            lastCounters[netns] = values
            write(PcapngWriter.custom(KernelCounterRecord(netns: netns, time: time, forDiagnosis: forDiagnosis, values: moved).encoded))
        case .dropReasons(let r):
            // An empty batch only at the start (hasReasons false): it says the run traced them.
            guard !r.entries.isEmpty || r.lostBefore != nil || !hasReasons else { return }
            hasReasons = true
            var rest = r.entries[...]
            repeat {
                let batch = Array(rest.prefix(DropReasonRecord.limit))
                rest = rest.dropFirst(batch.count)
                write(PcapngWriter.custom(DropReasonRecord(entries: batch, forDiagnosis: r.forDiagnosis, lostBefore: r.lostBefore).encoded))
            } while !rest.isEmpty
        case .conntrackLost, .stats, .pointLost:
            break
        }
    }

    private func write(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        do throws(RecordingError) { try file.write(bytes) } catch { failure = error }
    }

    /// Writes out the rest and closes; throws the first failure of the run, or of the close.
    public func close() throws(RecordingError) {
        let closed = Result { () throws(RecordingError) in try file.close() }
        if let failure { throw failure }
        try closed.get()
    }
}
