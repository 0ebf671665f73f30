import Testing
import HoptraceCore

/// Times a crafted recording or a caller can hand in (issue 14, finding 1). A trap here
/// would end the whole test run, so each "does not trap" below is a real regression test:
/// times saturate at ±EventTime.limit, text of any time can be printed, and the decoders
/// refuse a time no recording can mean with an error naming its block.
@Suite struct ExtremeTimeTests {
    typealias L = Lab

    /// The latest and the earliest time an EventTime holds.
    let top = EventTime.distantFuture
    let bottom = EventTime(micros: -EventTime.limit)
    static let extremes: [EventTime] = [
        EventTime(micros: .max), EventTime(micros: .min), EventTime(micros: 0), EventTime(micros: -1),
        EventTime(seconds: .max, micros: .max), EventTime(seconds: .min, micros: .min),
        EventTime.distantFuture.adding(seconds: -0.5), EventTime(micros: -EventTime.limit).adding(seconds: 0.5),
        EventTime(micros: 253_402_300_799_999_999),
    ]

    @Test func constructionSaturatesInsteadOfOverflowing() {
        #expect(top.micros == EventTime.limit && bottom.micros == -EventTime.limit)
        #expect(EventTime(micros: .max) == top && EventTime(micros: .min) == bottom)
        #expect(EventTime(seconds: .max, micros: 0) == top && EventTime(seconds: .min, micros: 0) == bottom)
        #expect(EventTime(seconds: .max, micros: .max) == top && EventTime(seconds: .min, micros: .min) == bottom)
        // The true value decides the end, not a wrapped intermediate.
        #expect(EventTime(seconds: .max, micros: .min) == top && EventTime(seconds: .min, micros: .max) == bottom)
        #expect(EventTime(seconds: 0, micros: .max) == top && EventTime(seconds: 0, micros: .min) == bottom)
        // Inside the range nothing changes, whatever the split between seconds and micros.
        #expect(EventTime(seconds: 1, micros: -1).micros == 999_999)
        #expect(EventTime(seconds: -1, micros: 999_999).micros == -1)
        #expect(EventTime(seconds: 0, micros: 2_500_000).micros == 2_500_000)
        #expect(EventTime(seconds: 1_795_438_391, micros: 21755).micros == 1_795_438_391_021_755)
    }

    @Test func addingSaturatesAndIgnoresNaN() {
        let t = EventTime(seconds: 1_795_438_391, micros: 0)
        #expect(t.adding(seconds: 1e300) == top && t.adding(seconds: -1e300) == bottom)
        #expect(t.adding(seconds: .infinity) == top && t.adding(seconds: -.infinity) == bottom)
        #expect(t.adding(seconds: .greatestFiniteMagnitude) == top)
        #expect(t.adding(seconds: .nan) == t)
        #expect(t.adding(seconds: 1.5).micros(since: t) == 1_500_000)
        #expect(top.adding(seconds: 1) == top && bottom.adding(seconds: -1) == bottom)
        #expect(bottom.adding(seconds: 1e300) == top && top.adding(seconds: -1e300) == bottom)
        #expect(t.adding(micros: .max) == top && t.adding(micros: .min) == bottom)
        #expect(top.adding(micros: .max) == top && bottom.adding(micros: .min) == bottom)
        #expect(EventTime.micros(seconds: .nan) == 0)
        #expect(EventTime.micros(seconds: 2) == 2_000_000)
        #expect(EventTime.micros(seconds: 1e300) == 2 * EventTime.limit && EventTime.micros(seconds: -.infinity) == -2 * EventTime.limit)
        // The widest gap between two times still fits.
        #expect(top.micros(since: bottom) == 2 * EventTime.limit && bottom.micros(since: top) == -2 * EventTime.limit)
    }

    @Test func secondsAndMicrosSplitEveryTime() {
        for t in Self.extremes {
            #expect((0..<1_000_000).contains(t.microsOfSecond), "\(t.micros)")
            #expect(EventTime(seconds: t.seconds, micros: t.microsOfSecond) == t, "\(t.micros)")
        }
    }

    @Test func rfc3339OfExtremeTimesDoesNotTrap() {
        #expect(EventTime(micros: 253_402_300_799_999_999).description == "9999-12-31T23:59:59.999999Z")
        for t in Self.extremes {
            let text = t.description
            #expect(text.hasSuffix("Z") && text.contains("T"), "\(text)")
            #expect(t.clock.count == 8, "\(t.clock)")
        }
        #expect(top.description.prefix(while: { $0 != "-" }).count > 4, "years past 9999 get more digits: \(top)")
        #expect(bottom.description.hasPrefix("-"), "\(bottom)")
        for (s, us) in [(Int.max, 0), (Int.min, 999_999), (Int.min, Int.min), (Int.max, Int.max)] {
            #expect(RFC3339.format(seconds: s, micros: us).hasSuffix("Z"))
        }
    }

    // MARK: - The decoders

    /// A packet block timestamp of UInt64.max (the writer's `micros: -1`), 2^63, Int64.max, or
    /// the first microsecond of the year 10000: the blocks before it are read, then an error
    /// naming its byte offset, not a trap.
    @Test(arguments: [UInt64.max, 1 << 63, UInt64(Int64.max), 253_402_300_800_000_000])
    func aPacketTimestampPastTheYear9999IsAnErrorNamingItsBlock(_ ts: UInt64) throws {
        let good = PcapngWriter.packet(interface: 0, micros: 1_795_554_732_877_331, captured: [1, 2, 3], wireLength: 3, direction: 0)
        let head = PcapngWriter.sectionHeader(application: "hoptrace test") + PcapngWriter.interface(RecordFormatTests.docker1) + good
        let bad = PcapngWriter.packet(interface: 0, micros: Int64(bitPattern: ts), captured: [4, 5], wireLength: 2, direction: 0)
        var reader = PcapngReader()
        reader.feed(head + bad + good)
        #expect(try reader.next() == .section)
        if case .interface = try reader.next() {} else { Issue.record("no interface") }
        #expect(try reader.next() == .packet(interface: 0, micros: 1_795_554_732_877_331, bytes: [1, 2, 3], wireLength: 3))
        #expect {
            _ = try reader.next()
        } throws: {
            guard let e = $0 as? PcapngReader.FormatError else { return false }
            return e.offset == head.count && e.description.contains("timestamp \(ts)") && e.description.contains("byte offset \(head.count)")
        }
    }

    /// The interface's own resolution (if_tsresol) reaches the slow path: seconds, nanoseconds, 2^-62 s.
    @Test func timestampsInOtherUnitsAreCheckedAndConvertedExactly() throws {
        let microseconds = PcapngWriter.interface(RecordFormatTests.docker1)
        // The writer says microseconds (if_tsresol: option 9, length 1, value 6): say something else.
        let option: [UInt8] = [9, 0, 1, 0, 6]
        let at = try #require((0...(microseconds.count - option.count)).first { Array(microseconds[$0..<($0 + option.count)]) == option })
        func file(resolution: UInt8, ts: UInt64) -> [UInt8] {
            var interface = microseconds
            interface[at + 4] = resolution
            return PcapngWriter.sectionHeader(application: "t") + interface
                + PcapngWriter.packet(interface: 0, micros: Int64(bitPattern: ts), captured: [1], wireLength: 1, direction: 0)
        }
        func read(resolution: UInt8, ts: UInt64) throws(PcapngReader.FormatError) -> Int64? {
            var reader = PcapngReader()
            reader.feed(file(resolution: resolution, ts: ts))
            while let r = try reader.next() {
                if case .packet(_, let micros, _, _) = r { return micros }
            }
            return nil
        }
        let nanos: UInt8 = 9, seconds: UInt8 = 0, twoToMinus62: UInt8 = 0x80 | 62
        #expect(try read(resolution: nanos, ts: .max) == Int64(UInt64.max / 1000))  // year 2554: a time
        #expect(try read(resolution: twoToMinus62, ts: .max) == 3_999_999)
        #expect(try read(resolution: seconds, ts: 253_402_300_799) == 253_402_300_799_000_000)
        #expect(throws: PcapngReader.FormatError.self) { try read(resolution: seconds, ts: 253_402_300_800) }
        #expect(throws: PcapngReader.FormatError.self) { try read(resolution: seconds, ts: .max) }
        #expect(throws: PcapngReader.FormatError.self) { try read(resolution: 6, ts: 253_402_300_800_000_000) }
        #expect(try read(resolution: 6, ts: 253_402_300_799_999_999) == 253_402_300_799_999_999)
    }

    /// Custom records (conntrack, capture loss) whose time is before 1970 or after 9999: an
    /// error naming the block, after everything before it was handed on.
    @Test func customRecordsWithImpossibleTimesAreErrorsNamingTheirBlock() throws {
        let loss = { (from: Int64, to: Int64) in
            CaptureLossRecord(point: CapturePoint(netns: nil, iface: "eth0"), dropped: 1, from: EventTime(micros: from), to: EventTime(micros: to)).encoded
        }
        let bad: [[UInt8]] = [
            ConntrackRecord(netns: "hthost", micros: .max, event: RecordFormatTests.event).encoded,
            ConntrackRecord(netns: "hthost", micros: -1, event: RecordFormatTests.event).encoded,
            ConntrackRecord(netns: nil, micros: .min, event: RecordFormatTests.event).encoded,
            loss(-1, 5), loss(5, .max), loss(.min, .max),
        ]
        let head = RecordFormatTests.file()
        for payload in bad {
            var decoder = RecordingDecoder()
            decoder.feed(head + PcapngWriter.custom(payload) + head)
            var packets = 0
            do {
                while let e = try decoder.next() {
                    if case .packet = e { packets += 1 }
                }
                Issue.record("an impossible time was accepted: \(payload)")
            } catch {
                #expect(error.offset == head.count, "\(error)")
                #expect(error.description.contains("time"), "\(error)")
                #expect(packets == 2, "the packets before the bad block are read")
            }
        }
    }

    // MARK: - The correlator

    /// Packets, conntrack events and capture losses at the ends of time, with ordinary and
    /// absurd timeouts and windows: flows form and settle, and their lines print.
    @Test(arguments: zip([1.0, 1e300, Double.infinity, Double.nan, 0.5], [2.0, 1e300, Double.infinity, Double.nan, Double.infinity]))
    func aCorrelatorAtTheEndsOfTimeDoesNotTrap(lossTimeout: Double, journeyWindow: Double) {
        let c = Correlator(paths: L.paths, lossTimeout: lossTimeout, maxFlows: 100, journeyWindow: journeyWindow)
        var changes: [FlowChange] = []
        for (k, t) in Self.extremes.enumerated() {
            let seq = UInt16(k)
            c.captureLost(at: L.enX0, dropped: 1, from: t, to: t.adding(seconds: 1e300))
            changes += c.ingest(packet: L.echo(L.ns1IP, L.remoteIP, id: 27, seq: seq, ipid: 1000 + seq, dir: .outbound), at: L.ns1, time: t)
            changes += c.ingest(packet: L.echo(L.ns1IP, L.remoteIP, id: 27, seq: seq, ipid: 1000 + seq, dir: .other), at: L.veth1,
                                time: Self.extremes[(k + 1) % Self.extremes.count])
            changes += c.ingest(conntrack: L.pingEntry(.new), netns: "hthost", time: t)
            changes += c.ingest(packet: L.echo(L.remoteIP, L.hostIP, reply: true, id: 27, seq: seq, ipid: 5000 + seq, dir: .inbound),
                                at: L.enX0, time: Self.extremes[(k + 3) % Self.extremes.count])
            changes += c.advance(to: t)
        }
        // Journeys whose hops sit at both ends (a window wide enough to join them).
        for (point, t) in zip([L.ns1, L.veth1, L.docker1, L.enX0, L.remote], [top, bottom, top, bottom, top]) {
            changes += c.ingest(packet: L.echo(L.ns1IP, L.remoteIP, id: 28, seq: 1, ipid: 77, dir: .outbound), at: point, time: t)
        }
        changes += c.ingest(conntrack: L.pingEntry(.destroy), netns: "hthost", time: bottom)
        changes += c.advance(to: .distantFuture)
        #expect(!changes.isEmpty)
        for f in c.allFlows {
            #expect(FlowJSON.line(f, time: top).hasPrefix("{"))
            #expect(FlowText.line(f).hasPrefix("flow "))
            _ = f.latestJourney?.spanMicros
            _ = f.window
        }
        for change in changes { #expect(FlowJSON.line(change, time: bottom).hasPrefix("{")) }
    }
}
