/// A recording's records turned into what the pipeline consumes: decoded packets at
/// their capture points, conntrack events, and the topology the recording carries.
/// Fed bytes as they are read (`feed`), like PcapngReader underneath.
public struct RecordingDecoder {
    public enum Event {
        /// The capture points, once all are described (before the first packet or event).
        case interfaces([RecordedInterface])
        /// The namespaces' topology blocks before the first packet or event. A failure when
        /// they went past `TopologyLimits`: it names the first block refused, and none of the
        /// blocks is kept, since a partial topology would judge paths unlike the live run. The
        /// packets and events go on either way; they are judged without hop paths.
        case topology(Result<[NamespaceSources], PcapngReader.FormatError>)
        case packet(CapturePoint, time: EventTime, bytes: [UInt8], wireLength: Int, Result<DecodedPacket, DecodeError>)
        case conntrack(netns: String?, ConntrackEvent, time: EventTime)
        /// The live run's capture dropped packets at a point.
        case captureLoss(CaptureLossRecord)
        /// A namespace's drop counters, whole (the record's changes applied to the ones before).
        case kernelCounters(netns: String?, values: [String: UInt64], time: EventTime, forDiagnosis: Bool)
        /// Drops the kernel traced with a reason.
        case dropReasons(DropReasonRecord)
    }

    private var reader: PcapngReader
    private var recorded: [RecordedInterface] = []
    private var described = false
    private var pendingTopology: [NamespaceSources] = []
    /// The recorded size of `pendingTopology` (`NamespaceSources.recordedBytes`).
    private var pendingTopologyBytes = 0
    /// Set once the pending blocks went past a limit: the first block refused.
    private var refusedTopology: PcapngReader.FormatError?
    private var queue: [Event] = []
    /// Each namespace's counters as of its last record (at most `CounterHistory.namespaceLimit`).
    private var counters: [String?: [String: UInt64]] = [:]

    public init(classicPoint: CapturePoint = CapturePoint(netns: nil, iface: "file")) {
        reader = PcapngReader(classicPoint: classicPoint)
    }

    public mutating func feed(_ bytes: [UInt8]) { reader.feed(bytes) }

    public mutating func next() throws(PcapngReader.FormatError) -> Event? {
        while queue.isEmpty {
            guard let record = try reader.next() else { return nil }
            switch record {
            case .section:
                recorded = []
            case .interface(let i):
                recorded.append(i)
            case .packet(let i, let micros, let bytes, let wire):
                flushPreamble()
                let interface = recorded[i]
                let decoded = Result { () throws(DecodeError) in
                    try LinkType.decode(bytes, wireLength: wire, linkType: interface.linkType, ownMAC: interface.mac)
                }
                queue.append(.packet(interface.point, time: EventTime(micros: micros), bytes: bytes, wireLength: wire, decoded))
            case .custom(let payload):
                if NamespaceSources.isTopologyRecord(payload) {
                    keepTopology(payload)
                    continue
                }
                flushPreamble()
                // A custom block hoptrace cannot read is skipped, not fatal: a newer version may have written it.
                if KernelCounterRecord.isCounterRecord(payload) {
                    if let r = try? KernelCounterRecord(decoding: payload) {
                        try checkTime(r.time.micros, of: "counter record")
                        guard counters[r.netns] != nil || counters.count < CounterHistory.namespaceLimit else { continue }
                        let values = (counters[r.netns] ?? [:]).merging(r.values) { $1 }
                        counters[r.netns] = values
                        queue.append(.kernelCounters(netns: r.netns, values: values, time: r.time, forDiagnosis: r.forDiagnosis))
                    }
                    continue
                }
                if DropReasonRecord.isReasonRecord(payload) {
                    if let r = try? DropReasonRecord(decoding: payload) {
                        for e in r.entries { try checkTime(e.time.micros, of: "drop reason record") }
                        if let t = r.lostBefore { try checkTime(t.micros, of: "drop reason record") }
                        queue.append(.dropReasons(r))
                    }
                    continue
                }
                if CaptureLossRecord.isLossRecord(payload) {
                    if let loss = try? CaptureLossRecord(decoding: payload) {
                        try checkTime(loss.from.micros, of: "capture loss record")
                        try checkTime(loss.to.micros, of: "capture loss record")
                        queue.append(.captureLoss(loss))
                    }
                    continue
                }
                guard let r = try? ConntrackRecord(decoding: payload) else { continue }
                try checkTime(r.micros, of: "conntrack record")
                queue.append(.conntrack(netns: r.netns, r.event, time: EventTime(micros: r.micros)))
            }
        }
        return queue.removeFirst()
    }

    public func finish() throws(PcapngReader.FormatError) { try reader.finish() }

    /// A record hoptrace can read but whose time cannot be one (before 1970, after 9999: see
    /// `PcapngReader.recordableMicros`) is corruption, not a newer format: an error naming its block.
    private func checkTime(_ micros: Int64, of what: String) throws(PcapngReader.FormatError) {
        guard PcapngReader.recordableMicros.contains(micros) else {
            throw PcapngReader.FormatError(offset: reader.recordOffset, message: "corrupt \(what): time \(micros) µs is not between 1970 and 9999")
        }
    }

    /// Keeps a topology block until the first packet or event, within `TopologyLimits`: at
    /// most 64 blocks of at most 4 MiB each and 16 MiB in all. Past a limit, the whole topology
    /// is refused with the offset of the block that passed it, and nothing more is kept. So a
    /// crafted recording holds at most 16 MiB here, however many blocks it carries.
    /// Why refuse and carry on, rather than stop the replay there: every packet and event is
    /// still replayed, and the warning says which block and which limit. A live run never
    /// records what this refuses (`TopologyDiscovery` applies the same limits).
    private mutating func keepTopology(_ payload: [UInt8]) {
        guard refusedTopology == nil else { return }
        let offset = reader.recordOffset
        if let why = TopologyLimits.refusal(adding: payload.count, toNamespaces: pendingTopology.count, ofBytes: pendingTopologyBytes) {
            let message = switch why {
            case .namespaceTooLarge(let bytes):
                "topology block of \(bytes) bytes exceeds the \(TopologyLimits.mib(TopologyLimits.blockBytes)) limit for one namespace"
            case .tooManyNamespaces:
                "topology block \(pendingTopology.count + 1) exceeds the limit of \(TopologyLimits.namespaces) namespaces in one recording"
            case .tooLargeInAll(let bytes):
                "topology blocks of \(bytes) bytes in all exceed the \(TopologyLimits.mib(TopologyLimits.totalBytes)) limit for one recording"
            }
            refusedTopology = PcapngReader.FormatError(offset: offset, message: message)
            pendingTopology = []
            pendingTopologyBytes = 0
            return
        }
        // A block hoptrace cannot read (a newer version's) is skipped, like other custom blocks.
        guard let t = try? NamespaceSources(decoding: payload) else { return }
        pendingTopology.append(t)
        pendingTopologyBytes += payload.count
    }

    /// Interfaces, then the topology, come before the first packet or event.
    private mutating func flushPreamble() {
        if !described {
            described = true
            queue.append(.interfaces(recorded))
        }
        if let refused = refusedTopology {
            queue.append(.topology(.failure(refused)))
        } else if !pendingTopology.isEmpty {
            queue.append(.topology(.success(pendingTopology)))
        }
        refusedTopology = nil
        pendingTopology = []
        pendingTopologyBytes = 0
    }
}
