import Glibc
import HoptraceCore

/// `watch -r FILE`: replays a recording (hoptrace's pcapng, or any pcapng/pcap
/// file) through the same events the live loop produces. A cut-off or corrupt
/// file stops the replay with an error naming the offset, after every record
/// before it has been handed on.
public struct ReplaySource {
    public let path: String

    public init(path: String) { self.path = path }

    /// `interfaces` and `topology` (the namespaces' `ip -j` sources a hoptrace recording
    /// carries) arrive before the first packet, so the replay walks the live run's paths.
    /// `topology` is a failure naming the block's byte offset when the recording's topology
    /// went past `TopologyLimits`; the replay goes on without it.
    /// `stop` is asked after every event (the output's reader gone): the replay ends there.
    /// `opened` runs once the file is open, before anything is read (privileges go there).
    public func run(limit: Int? = nil, opened: () -> Void = {}, stop: () -> Bool = { false }, interfaces: ([RecordedInterface]) -> Void = { _ in },
                    topology: (Result<[NamespaceSources], PcapngReader.FormatError>) -> Void = { _ in },
                    _ handle: (CaptureLoop.Event) -> Void) throws {
        guard let file = fopen(path, "rb") else { throw CaptureError.file(path: path, errno: errno) }
        defer { fclose(file) }
        opened()
        var decoder = RecordingDecoder()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var packets = 0
        // The event before the one just decoded: a sample the live run took for a diagnosis
        // was taken while that event was handled (and written after it), so it goes first.
        var held: CaptureLoop.Event?
        /// false: the run ends here (--count reached, or `stop`).
        func deliver(_ event: CaptureLoop.Event) -> Bool {
            handle(event)
            if case .packet = event {
                packets += 1
                if let limit, packets >= limit { return false }
            }
            return !stop()
        }
        do {
            while true {
                let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if n > 0 { decoder.feed(Array(chunk[0..<n])) }
                while let decoded = try decoder.next() {
                    let event: CaptureLoop.Event
                    switch decoded {
                    case .interfaces(let list): interfaces(list); continue
                    case .topology(let sources): topology(sources); continue
                    case .packet(let point, let time, let bytes, let wire, let decoded):
                        event = .packet(point, PcapPacket(seconds: Int(time.seconds), micros: Int(time.microsOfSecond), bytes: bytes, wireLength: wire), decoded)
                    case .conntrack(let netns, let e, let time):
                        event = .conntrack(netns: netns, e, seconds: Int(time.seconds), micros: Int(time.microsOfSecond))
                    case .captureLoss(let r):
                        event = .captureLoss(r.point, dropped: r.dropped, from: (Int(r.from.seconds), Int(r.from.microsOfSecond)),
                                             to: (Int(r.to.seconds), Int(r.to.microsOfSecond)))
                    case .kernelCounters(let netns, let values, let time, let forDiagnosis):
                        event = .kernelCounters(netns: netns, values: values, time: time, forDiagnosis: forDiagnosis)
                    case .dropReasons(let r):
                        event = .dropReasons(r)
                    }
                    // Never ahead of a held counter sample or reason batch: their order is their time.
                    if event.isForDiagnosis, let h = held, !h.isKernelEvidence {
                        guard deliver(event) else { return }
                        continue
                    }
                    if let previous = held { guard deliver(previous) else { return } }
                    held = event
                }
                if n == 0 {
                    if ferror(file) != 0 { throw CaptureError.file(path: path, errno: errno) }
                    try decoder.finish()
                    if let previous = held { _ = deliver(previous) }
                    return
                }
            }
        } catch let e as PcapngReader.FormatError {
            // What came before the fault is handed on first.
            if let previous = held { _ = deliver(previous) }
            throw CaptureError.replay(path: path, message: e.description, packetsBefore: packets)
        }
    }
}

extension CaptureLoop.Event {
    var isKernelEvidence: Bool {
        switch self {
        case .kernelCounters, .dropReasons: true
        default: false
        }
    }

    /// A counter sample or reason batch a verdict took as it was being reached.
    var isForDiagnosis: Bool {
        switch self {
        case .kernelCounters(_, _, _, let d): d
        case .dropReasons(let r): r.forDiagnosis
        default: false
        }
    }
}
