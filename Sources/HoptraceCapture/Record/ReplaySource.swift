import Glibc
import HoptraceCore

/// `watch -r FILE`: replays a recording (hoptrace's pcapng, or any pcapng/pcap
/// file) through the same events the live loop produces. A cut-off or corrupt
/// file stops the replay with an error naming the offset, after every record
/// before it has been handed on.
public struct ReplaySource {
    public let path: String

    public init(path: String) { self.path = path }

    public func run(limit: Int? = nil, _ handle: (CaptureLoop.Event) -> Void) throws {
        guard let file = fopen(path, "rb") else { throw CaptureError.file(path: path, errno: errno) }
        defer { fclose(file) }
        var reader = PcapngReader(classicPoint: CapturePoint(netns: nil, iface: "file"))
        var interfaces: [RecordedInterface] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var packets = 0
        do {
            while true {
                let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if n > 0 { reader.feed(Array(chunk[0..<n])) }
                while let record = try reader.next() {
                    switch record {
                    case .section:
                        interfaces = []
                    case .interface(let i):
                        interfaces.append(i)
                    case .packet(let i, let micros, let bytes, let wire):
                        let interface = interfaces[i]
                        let pkt = PcapPacket(seconds: Int(micros / 1_000_000), micros: Int(micros % 1_000_000),
                                             bytes: bytes, wireLength: wire)
                        let decoded = Result { () throws(DecodeError) in
                            try LinkType.decode(bytes, wireLength: wire, linkType: interface.linkType, ownMAC: interface.mac)
                        }
                        handle(.packet(interface.point, pkt, decoded))
                        packets += 1
                        if let limit, packets >= limit { return }
                    case .custom(let payload):
                        // A custom block hoptrace cannot read is skipped, not fatal: a newer version may have written it.
                        guard let r = try? ConntrackRecord(decoding: payload) else { continue }
                        handle(.conntrack(netns: r.netns, r.event, seconds: Int(r.micros / 1_000_000),
                                          micros: Int(r.micros % 1_000_000)))
                    }
                }
                if n == 0 {
                    if ferror(file) != 0 { throw CaptureError.file(path: path, errno: errno) }
                    try reader.finish()
                    return
                }
            }
        } catch let e as PcapngReader.FormatError {
            throw CaptureError.replay(path: path, message: e.description, packetsBefore: packets)
        }
    }
}
