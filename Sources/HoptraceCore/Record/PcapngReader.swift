// Reads what PcapngWriter writes, and pcapng or classic pcap files from other tools
// (tcpdump -w, tshark): draft-ietf-opsawg-pcapng, https://www.tcpdump.org/manpages/pcap-savefile.5.html
// Bytes are fed as they are read, so a file of any size streams through. A block
// that is cut off or inconsistent, or stamped with a time that cannot be one, stops
// the reader with its offset; every record before it has already been returned.

public struct PcapngReader {
    public enum Record: Equatable {
        /// A new section: interface numbers start again from 0.
        case section
        case interface(RecordedInterface)
        case packet(interface: Int, micros: Int64, bytes: [UInt8], wireLength: Int)
        /// A hoptrace Custom Block's payload (a ConntrackRecord).
        case custom([UInt8])
    }

    public struct FormatError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "\(message) at byte offset \(offset)" }
    }

    enum Format { case unknown, pcapng, pcap(nanos: Bool) }

    private var buffer: [UInt8] = []
    private var start = 0
    /// File offset of buffer[0].
    private var base = 0
    private var format = Format.unknown
    private var bigEndian = false
    /// Per interface: units of its timestamps per second.
    private var unitsPerSecond: [Int64] = []
    /// Classic pcap names its one interface after the file.
    private let classicPoint: CapturePoint
    /// Larger blocks than this are corruption, not packets (snap lengths are at most 256 KiB).
    static let maxBlock = 16 << 20

    /// The times a recording can carry, in µs since 1970: up to 9999-12-31T23:59:59.999999Z.
    /// Why these ends: pcapng and pcap timestamps are unsigned and hoptrace records the wall
    /// clock, so nothing is before 1970; RFC 3339 (every time hoptrace prints) has four-digit
    /// years, and no clock that stamped a capture reads later than 9999. Anything outside is
    /// a corrupt or crafted file, refused where it is read, which also keeps every later sum
    /// of times (windows, timeouts) far from overflow.
    public static var recordableMicros: ClosedRange<Int64> { 0...latestMicros }
    /// 9999-12-31T23:59:59Z and its last microsecond (computed, not stored: constants on the per-packet path).
    static var latestSecond: Int64 { 253_402_300_799 }
    static var latestMicros: Int64 { latestSecond * 1_000_000 + 999_999 }

    /// File offset of the block (or classic pcap record) `next()` read last: where a
    /// record found wrong after reading (a custom record's time) is named.
    public private(set) var recordOffset = 0

    public init(classicPoint: CapturePoint = CapturePoint(netns: nil, iface: "file")) {
        self.classicPoint = classicPoint
    }

    public mutating func feed(_ bytes: [UInt8]) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            base += start
            start = 0
        }
        buffer += bytes
    }

    /// The next complete record, or nil when more bytes are needed.
    public mutating func next() throws(FormatError) -> Record? {
        while true {
            switch format {
            case .unknown:
                guard available >= 24 else { return nil }
                try readFileHeader()
            case .pcapng:
                guard let record = try nextBlock() else { return nil }
                if let r = record { return r }
            case .pcap(let nanos):
                return try nextClassic(nanos: nanos)
            }
        }
    }

    /// Call at end of file: leftover bytes are a truncated block.
    public func finish() throws(FormatError) {
        if case .unknown = format {
            throw FormatError(offset: 0, message: available == 0 ? "empty file: not a pcapng or pcap file" : "file too short for a pcapng or pcap header (\(available) bytes)")
        }
        guard available > 0 else { return }
        throw FormatError(offset: base + start, message: "truncated record (\(available) bytes left of an incomplete block)")
    }

    private var available: Int { buffer.count - start }

    private func u16(_ at: Int) -> UInt16 {
        let a = UInt16(buffer[start + at]), b = UInt16(buffer[start + at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    /// Four bytes, read one by one (a `map` here made an array: eight of them a packet block).
    private func u32(_ at: Int) -> UInt32 {
        let i = start + at
        let b0 = UInt32(buffer[i]), b1 = UInt32(buffer[i + 1]), b2 = UInt32(buffer[i + 2]), b3 = UInt32(buffer[i + 3])
        return bigEndian ? b0 << 24 | b1 << 16 | b2 << 8 | b3 : b3 << 24 | b2 << 16 | b1 << 8 | b0
    }

    private mutating func readFileHeader() throws(FormatError) {
        let le = UInt32(buffer[start]) | UInt32(buffer[start + 1]) << 8 | UInt32(buffer[start + 2]) << 16 | UInt32(buffer[start + 3]) << 24
        switch le {
        case PcapngWriter.sectionHeaderType:
            format = .pcapng  // the section header block itself sets the byte order
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1:
            bigEndian = le == 0xD4C3_B2A1 || le == 0x4D3C_B2A1
            format = .pcap(nanos: le == 0xA1B2_3C4D || le == 0x4D3C_B2A1)
            let link = Int(u32(20) & 0x0FFF_FFFF), snap = Int(u32(16))
            unitsPerSecond = [le == 0xA1B2_3C4D || le == 0x4D3C_B2A1 ? 1_000_000_000 : 1_000_000]
            pendingClassicInterface = RecordedInterface(point: classicPoint, linkType: link, snapLength: snap, mac: [])
            start += 24
        default:
            throw FormatError(offset: base + start, message: "not a pcapng or pcap file (magic 0x\(String(le, radix: 16)))")
        }
    }

    private var pendingClassicInterface: RecordedInterface?

    private mutating func nextClassic(nanos: Bool) throws(FormatError) -> Record? {
        if let i = pendingClassicInterface {
            pendingClassicInterface = nil
            return .interface(i)
        }
        guard available >= 16 else { return nil }
        let captured = Int(u32(8)), wire = Int(u32(12))
        guard captured <= Self.maxBlock else {
            throw FormatError(offset: base + start, message: "corrupt pcap record: captured length \(captured)")
        }
        guard available >= 16 + captured else { return nil }
        recordOffset = base + start
        // Always a time: 32-bit seconds end in 2106, and the fraction adds at most 72 minutes.
        let seconds = Int64(u32(0)), fraction = Int64(u32(4))
        let micros = seconds * 1_000_000 + (nanos ? fraction / 1000 : fraction)
        let bytes = Array(buffer[(start + 16)..<(start + 16 + captured)])
        start += 16 + captured
        return .packet(interface: 0, micros: micros, bytes: bytes, wireLength: wire)
    }

    /// One pcapng block: `.some(record)` for what callers see, `.some(nil)` for a block skipped.
    private mutating func nextBlock() throws(FormatError) -> Record?? {
        guard available >= 12 else { return nil }
        let type = u32(0)
        if type == PcapngWriter.sectionHeaderType {
            // The byte-order magic decides how every length, this block's included, reads.
            let magic = UInt32(buffer[start + 8]) | UInt32(buffer[start + 9]) << 8 | UInt32(buffer[start + 10]) << 16 | UInt32(buffer[start + 11]) << 24
            switch magic {
            case PcapngWriter.byteOrderMagic: bigEndian = false
            case 0x4D3C_2B1A: bigEndian = true
            default: throw FormatError(offset: base + start, message: "corrupt section header: byte-order magic 0x\(String(magic, radix: 16))")
            }
        }
        let length = Int(u32(4))
        guard length >= 12, length % 4 == 0, length <= Self.maxBlock else {
            throw FormatError(offset: base + start, message: "corrupt block: type 0x\(String(type, radix: 16)), length \(length)")
        }
        guard available >= length else { return nil }
        recordOffset = base + start
        guard Int(u32(length - 4)) == length else {
            throw FormatError(offset: base + start, message: "corrupt block: trailing length \(u32(length - 4)) differs from \(length)")
        }
        defer { start += length }
        let body = 8..<(length - 4)
        switch type {
        case PcapngWriter.sectionHeaderType:
            unitsPerSecond = []
            return .some(.section)
        case PcapngWriter.interfaceType:
            guard body.count >= 8 else { throw FormatError(offset: base + start, message: "corrupt interface block: \(length) bytes") }
            var point = CapturePoint(netns: nil, iface: "if\(unitsPerSecond.count)")
            var mac: [UInt8] = [], units: Int64 = 1_000_000
            forEachOption(in: (body.lowerBound + 8)..<body.upperBound) { code, value in
                switch code {
                case 2:
                    let name = String(decoding: value, as: UTF8.self)
                    point = CapturePoint(parsing: name) ?? point
                case 6 where value.count == 6: mac = value
                case 9 where value.count >= 1:
                    let r = value[0]
                    let exponent = Int64(r & 0x7F)
                    units = r & 0x80 == 0 ? (exponent <= 18 ? (0..<exponent).reduce(1) { p, _ in p * 10 } : 1_000_000)
                                          : (exponent <= 62 ? 1 << exponent : 1_000_000)
                default: break
                }
            }
            unitsPerSecond.append(units)
            return .some(.interface(RecordedInterface(
                point: point, linkType: Int(u16(8)), snapLength: Int(u32(12)), mac: mac)))
        case PcapngWriter.enhancedPacketType:
            guard body.count >= 20 else { throw FormatError(offset: base + start, message: "corrupt packet block: \(length) bytes") }
            let interface = Int(u32(8))
            guard interface < unitsPerSecond.count else {
                throw FormatError(offset: base + start, message: "packet block names interface \(interface), which was never described")
            }
            let captured = Int(u32(20)), wire = Int(u32(24))
            guard captured <= body.count - 20 else {
                throw FormatError(offset: base + start, message: "corrupt packet block: captured length \(captured) exceeds the block")
            }
            // Unsigned 64-bit units since 1970: checked against the recordable times before
            // any arithmetic, so a garbage timestamp is an error naming the block, never a trap.
            let ts = UInt64(u32(12)) << 32 | UInt64(u32(16))
            let units = UInt64(unitsPerSecond[interface])
            let micros: Int64
            if units == 1_000_000, ts <= UInt64(Self.latestMicros) {
                micros = Int64(ts)  // the usual case (hoptrace and tcpdump write µs): one compare
            } else {
                let (whole, fraction) = ts.quotientAndRemainder(dividingBy: units)
                guard whole <= UInt64(Self.latestSecond) else {
                    throw FormatError(offset: base + start, message: "corrupt packet block: timestamp \(ts) (in 1/\(units) s) is after the year 9999")
                }
                // fraction < units, so the quotient is below 1_000_000: the full-width division cannot overflow.
                micros = Int64(whole) * 1_000_000 + Int64(units.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000)).quotient)
            }
            let data = Array(buffer[(start + 28)..<(start + 28 + captured)])
            return .some(.packet(interface: interface, micros: micros, bytes: data, wireLength: wire))
        case PcapngWriter.customType, 0x0000_0BAD:
            guard body.count >= 4, u32(8) == PcapngWriter.enterpriseNumber else { return .some(nil) }
            return .some(.custom(Array(buffer[(start + 12)..<(start + length - 4)])))
        default:
            return .some(nil)  // blocks hoptrace has no use for (statistics, name resolution, …)
        }
    }

    private func forEachOption(in range: Range<Int>, _ body: (UInt16, [UInt8]) -> Void) {
        var at = range.lowerBound
        while at + 4 <= range.upperBound {
            let code = u16(at), length = Int(u16(at + 2))
            guard code != 0, at + 4 + length <= range.upperBound else { return }
            body(code, Array(buffer[(start + at + 4)..<(start + at + 4 + length)]))
            at += 4 + (length + 3) / 4 * 4
        }
    }
}
