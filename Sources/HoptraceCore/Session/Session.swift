/// Everything a view of a run shows, fed in event order by the one event loop: the
/// correlator's flows, bounded logs of packets and conntrack events, and per capture
/// point counters. Pure: the live loop and a replay feed it alike; the TUI and the
/// NDJSON/text writers read it.
public final class Session {
    public struct PointState: Sendable, Equatable {
        public var point: CapturePoint
        /// Packets hoptrace read and decoded (or failed to) at this point.
        public var packets = 0
        /// pcap_stats: received and dropped by the kernel (the last stats reading).
        public var kernelReceived: UInt32 = 0
        public var kernelDropped: UInt32 = 0
        /// Why the point stopped (its interface vanished), if it did.
        public var lost: String?
    }

    public struct PacketEntry: Sendable {
        public var time: EventTime
        public var point: CapturePoint
        /// nil when the bytes did not decode; `error` says why.
        public var packet: DecodedPacket?
        public var error: DecodeError?
        public var flowID: Int?
    }

    public struct ConntrackEntry: Sendable {
        public var time: EventTime
        public var netns: String?
        public var event: ConntrackEvent
        public var flowID: Int?
    }

    public let correlator: Correlator
    public private(set) var points: [PointState]
    private var pointIndex: [CapturePoint: Int] = [:]
    public private(set) var packetLog: RingBuffer<PacketEntry>
    /// Off when nothing reads the packet log (the line writers): a copy of every packet saved.
    public var keepsPacketLog = true
    public private(set) var conntrackLog: RingBuffer<ConntrackEntry>
    public private(set) var conntrackEvents = 0
    public private(set) var conntrackLost = 0
    public private(set) var malformed = 0
    /// The latest event time seen: the clock verdicts are judged by.
    public private(set) var now = EventTime(micros: 0)

    public init(points: [CapturePoint], correlator: Correlator, packetLogCapacity: Int = 4096, conntrackLogCapacity: Int = 2048) {
        self.correlator = correlator
        self.points = points.map { PointState(point: $0) }
        for (i, p) in points.enumerated() { pointIndex[p] = i }
        packetLog = RingBuffer(capacity: packetLogCapacity)
        conntrackLog = RingBuffer(capacity: conntrackLogCapacity)
    }

    /// A decoded packet: correlated, logged, counted. Returns the flows it changed.
    public func packet(_ p: DecodedPacket, at point: CapturePoint, time: EventTime) -> [FlowChange] {
        tick(time)
        count(point)
        let changes = correlator.ingest(packet: p, at: point, time: time)
        if keepsPacketLog { packetLog.append(PacketEntry(time: time, point: point, packet: p, flowID: correlator.lastFlowID)) }
        return changes
    }

    public func malformed(at point: CapturePoint, time: EventTime, error: DecodeError) {
        tick(time)
        count(point)
        malformed += 1
        packetLog.append(PacketEntry(time: time, point: point, packet: nil, error: error))
    }

    public func conntrack(_ e: ConntrackEvent, netns: String?, time: EventTime) -> [FlowChange] {
        tick(time)
        conntrackEvents += 1
        let changes = correlator.ingest(conntrack: e, netns: netns, time: time)
        conntrackLog.append(ConntrackEntry(time: time, netns: netns, event: e, flowID: correlator.lastFlowID))
        return changes
    }

    /// Kernel counters per point (pcap_stats) and conntrack losses (ENOBUFS).
    public func stats(_ readings: [(point: CapturePoint, received: UInt32, dropped: UInt32)], conntrackLost: Int) {
        for r in readings {
            guard let i = pointIndex[r.point] else { continue }
            points[i].kernelReceived = r.received
            points[i].kernelDropped = r.dropped
        }
        self.conntrackLost = conntrackLost
    }

    public func pointLost(_ point: CapturePoint, reason: String) {
        guard let i = pointIndex[point] else { return }
        points[i].lost = reason
    }

    /// Lets time pass (a timer in a live run, the next event's time in a replay):
    /// journeys past the loss timeout get their verdicts.
    public func advance(to time: EventTime) -> [FlowChange] {
        tick(time)
        return correlator.advance(to: now)
    }

    /// `c` in the TUI: forget the logs (flows stay; the correlator bounds them).
    public func clearLogs() {
        packetLog.removeAll()
        conntrackLog.removeAll()
    }

    private func tick(_ time: EventTime) {
        if time > now { now = time }
    }

    private func count(_ point: CapturePoint) {
        // A handful of points: comparing names beats hashing them, once per packet.
        if points.count <= 16, let i = points.firstIndex(where: { $0.point == point }) {
            points[i].packets += 1
        } else if let i = pointIndex[point] {
            points[i].packets += 1
        } else {
            // A replayed file names its points as it goes.
            pointIndex[point] = points.count
            points.append(PointState(point: point, packets: 1))
        }
    }
}
