import Glibc
import HoptraceCore

/// `watch -w FILE.pcapng`: every capture point's packets and every conntrack
/// event into one pcapng file, in the order the loop sees them. stdio buffers
/// the writes; `close` (or deinit) flushes.
public final class CaptureRecorder {
    private var file: UnsafeMutablePointer<FILE>?
    private var index: [CapturePoint: Int] = [:]
    public let path: String

    public init(path: String, interfaces: [RecordedInterface]) throws {
        self.path = path
        guard let f = fopen(path, "wb") else { throw CaptureError.file(path: path, errno: errno) }
        file = f
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
        case .conntrackLost, .stats, .pointLost:
            break
        }
    }

    private func write(_ bytes: [UInt8]) {
        guard let file else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }

    public func close() {
        if let file { fclose(file) }
        file = nil
    }

    deinit { close() }
}
