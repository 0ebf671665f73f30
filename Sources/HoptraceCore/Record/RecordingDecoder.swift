/// A recording's records turned into what the pipeline consumes: decoded packets at
/// their capture points, conntrack events, and the topology the recording carries.
/// Fed bytes as they are read (`feed`), like PcapngReader underneath.
public struct RecordingDecoder {
    public enum Event {
        /// The capture points, once all are described (before the first packet or event).
        case interfaces([RecordedInterface])
        case topology([NamespaceSources])
        case packet(CapturePoint, time: EventTime, bytes: [UInt8], wireLength: Int, Result<DecodedPacket, DecodeError>)
        case conntrack(netns: String?, ConntrackEvent, time: EventTime)
        /// The live run's capture dropped packets at a point.
        case captureLoss(CaptureLossRecord)
    }

    private var reader: PcapngReader
    private var recorded: [RecordedInterface] = []
    private var described = false
    private var pendingTopology: [NamespaceSources] = []
    private var queue: [Event] = []

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
                    if let t = try? NamespaceSources(decoding: payload) { pendingTopology.append(t) }
                    continue
                }
                flushPreamble()
                // A custom block hoptrace cannot read is skipped, not fatal: a newer version may have written it.
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

    /// Interfaces, then the topology, come before the first packet or event.
    private mutating func flushPreamble() {
        if !described {
            described = true
            queue.append(.interfaces(recorded))
        }
        if !pendingTopology.isEmpty {
            queue.append(.topology(pendingTopology))
            pendingTopology = []
        }
    }
}
