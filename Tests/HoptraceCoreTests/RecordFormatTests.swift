import Testing
import HoptraceCore

@Suite struct RecordFormatTests {
    static let docker1 = RecordedInterface(point: CapturePoint(netns: "hthost", iface: "docker1"), linkType: 1, snapLength: 256, mac: [2, 0, 0, 0, 0, 1])
    static let enX0 = RecordedInterface(point: CapturePoint(netns: "hthost", iface: "enX0"), linkType: 276, snapLength: 128, mac: [])
    static let event = ConntrackEvent(
        kind: .update, proto: 6,
        orig: .init(src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.31.39.53")!), sport: 47814, dport: 80),
        reply: .init(src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), sport: 80, dport: 47814),
        status: 0x3A, tcpState: 3, timeout: 431_999, mark: 7, zone: 2, id: 12345)

    /// A file as `watch -w` writes it: header, two interfaces, a packet on each, a conntrack event.
    static func file() -> [UInt8] {
        PcapngWriter.sectionHeader(application: "hoptrace test")
            + PcapngWriter.interface(docker1) + PcapngWriter.interface(enX0)
            + PcapngWriter.packet(interface: 0, micros: 1_795_554_732_877_331, captured: [1, 2, 3, 4, 5], wireLength: 98, direction: 1)
            + PcapngWriter.custom(ConntrackRecord(netns: "hthost", micros: 1_795_554_732_878_000, event: event).encoded)
            + PcapngWriter.packet(interface: 1, micros: 1_795_554_732_878_308, captured: Array(0..<64), wireLength: 64, direction: 0)
    }

    static func readAll(_ bytes: [UInt8], chunk: Int) throws(PcapngReader.FormatError) -> [PcapngReader.Record] {
        var reader = PcapngReader()
        var records: [PcapngReader.Record] = []
        var at = 0
        while at < bytes.count {
            reader.feed(Array(bytes[at..<min(bytes.count, at + chunk)]))
            at += chunk
            while let r = try reader.next() { records.append(r) }
        }
        try reader.finish()
        return records
    }

    @Test func roundTripsWhateverTheChunkSize() throws {
        let expected: [PcapngReader.Record] = [
            .section, .interface(Self.docker1), .interface(Self.enX0),
            .packet(interface: 0, micros: 1_795_554_732_877_331, bytes: [1, 2, 3, 4, 5], wireLength: 98),
            .custom(Self.padded(ConntrackRecord(netns: "hthost", micros: 1_795_554_732_878_000, event: Self.event).encoded)),
            .packet(interface: 1, micros: 1_795_554_732_878_308, bytes: Array(0..<64), wireLength: 64),
        ]
        for chunk in [1, 3, 7, 64, 1 << 16] {
            let got = try Self.readAll(Self.file(), chunk: chunk)
            #expect(got == expected, "chunk \(chunk): \(got)")
        }
    }

    /// Custom Block data is padded to 32 bits and has no length of its own: the record ignores the padding.
    static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }

    @Test func conntrackRecordRoundTripsEveryField() throws {
        for netns in ["hthost", nil] {
            let r = ConntrackRecord(netns: netns, micros: -5, event: Self.event)
            #expect(try ConntrackRecord(decoding: r.encoded) == r)
            #expect(try ConntrackRecord(decoding: Self.padded(r.encoded)) == r)
        }
        var icmp = Self.event
        icmp.proto = 1
        icmp.orig = .init(src: .v6(IPv6Address(high: 0xfd00 << 48, low: 3)), dst: .v6(IPv6Address(high: 0xfd00 << 48, low: 1)), icmp: (128, 0, 9))
        icmp.reply = .init(src: icmp.orig.dst, dst: icmp.orig.src, icmp: (129, 0, 9))
        icmp.tcpState = nil
        icmp.timeout = nil
        let r = ConntrackRecord(netns: "x", micros: 1, event: icmp)
        #expect(try ConntrackRecord(decoding: r.encoded) == r)
        icmp.counters = .init(origPackets: 3, origBytes: 252, replyPackets: 2, replyBytes: 1 << 40)
        let counted = ConntrackRecord(netns: "x", micros: 1, event: icmp)
        #expect(try ConntrackRecord(decoding: Self.padded(counted.encoded)) == counted)
        #expect(counted.encoded.count == r.encoded.count + 33)
    }

    @Test func captureLossRecordRoundTripsAndReachesTheReplay() throws {
        let loss = CaptureLossRecord(point: CapturePoint(netns: "hthost", iface: "enX0"), dropped: 1234,
                                     from: EventTime(micros: 1_795_554_732_000_000), to: EventTime(micros: 1_795_554_732_050_000))
        #expect(try CaptureLossRecord(decoding: loss.encoded) == loss)
        let current = CaptureLossRecord(point: CapturePoint(netns: nil, iface: "eth0"), dropped: 1, from: EventTime(micros: 0), to: EventTime(micros: 1))
        #expect(try CaptureLossRecord(decoding: current.encoded) == current)
        for n in 0..<loss.encoded.count {
            #expect(throws: DecodeError.self) { try CaptureLossRecord(decoding: Array(loss.encoded.prefix(n))) }
        }
        var decoder = RecordingDecoder()
        decoder.feed(Self.file() + PcapngWriter.custom(loss.encoded))
        var seen: [CaptureLossRecord] = []
        while let e = try decoder.next() {
            if case .captureLoss(let r) = e { seen.append(r) }
        }
        #expect(seen == [loss])
    }

    @Test func aCutConntrackRecordIsAnErrorNotATrap() {
        let bytes = ConntrackRecord(netns: "hthost", micros: 1, event: Self.event).encoded
        for n in 0..<bytes.count {
            #expect(throws: DecodeError.self) { try ConntrackRecord(decoding: Array(bytes.prefix(n))) }
        }
    }

    /// Every cut of the file: everything before the cut is read, and the error names the offset of the cut block.
    @Test func aTruncatedFileKeepsWhatCameBeforeAndNamesTheOffset() throws {
        let file = Self.file()
        let blockStarts = Self.blockOffsets(file)
        for cut in 1..<file.count where !blockStarts.contains(cut) {
            var reader = PcapngReader()
            reader.feed(Array(file.prefix(cut)))
            var complete = 0
            do {
                while try reader.next() != nil { complete += 1 }
                try reader.finish()
                Issue.record("cut at \(cut) was not reported")
            } catch {
                let cutBlock = blockStarts.last { $0 < cut } ?? 0
                #expect(complete == blockStarts.firstIndex(of: cutBlock)!, "cut \(cut)")
                #expect(error.offset == (cut < 24 ? 0 : cutBlock), "cut \(cut): \(error)")
            }
        }
    }

    @Test func corruptLengthsAreNamed() throws {
        var file = Self.file()
        let second = Self.blockOffsets(file)[1]
        file[second + 4] = 13  // a length that is not a multiple of 4
        var reader = PcapngReader()
        reader.feed(file)
        #expect(try reader.next() == .section)
        #expect { _ = try reader.next() } throws: { ($0 as? PcapngReader.FormatError)?.offset == second }
        var bad = PcapngReader()
        bad.feed([0x50, 0x4B, 3, 4] + [UInt8](repeating: 0, count: 30))
        #expect { _ = try bad.next() } throws: { "\($0)".contains("not a pcapng or pcap file") }
    }

    @Test func readsClassicPcapFromOtherTools() throws {
        var b: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8)
        b += [0xFF, 0xFF, 0, 0, 1, 0, 0, 0]  // snaplen 65535, Ethernet
        b += [10, 0, 0, 0, 0x40, 0x42, 0x0F, 0] + [3, 0, 0, 0, 60, 0, 0, 0] + [7, 8, 9]
        let records = try Self.readAll(b, chunk: 5)
        #expect(records == [
            .interface(RecordedInterface(point: CapturePoint(netns: nil, iface: "file"), linkType: 1, snapLength: 65535, mac: [])),
            .packet(interface: 0, micros: 10 * 1_000_000 + 1_000_000, bytes: [7, 8, 9], wireLength: 60),
        ])
    }

    /// Random garbage after a valid header: the reader throws or reads on, never traps or loops.
    @Test func survivesGarbage() {
        var rng = SplitMix64(seed: 0xF11E)
        let valid = Self.file()
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int(rng.next() % 6 + 1) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            var reader = PcapngReader()
            reader.feed(bytes)
            var n = 0
            while (try? reader.next()) != nil, n < 100 { n += 1 }
            #expect(n < 100)
        }
    }

    static func blockOffsets(_ file: [UInt8]) -> [Int] {
        var offsets: [Int] = [], at = 0
        while at + 8 <= file.count {
            offsets.append(at)
            at += Int(file[at + 4]) | Int(file[at + 5]) << 8 | Int(file[at + 6]) << 16
        }
        return offsets
    }
}
