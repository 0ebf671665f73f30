import Testing
@testable import HoptraceCore

/// The kernel's counters and drop reasons in a recording (issue 17): written as they moved,
/// read back whole, and hostile bytes refused, so a replay cites what the live run cited.
@Suite struct KernelEvidenceRecordTests {
    static let t0 = EventTime(micros: 1_795_554_732_000_000)

    @Test func aCounterRecordRoundTripsWithTheNamespaceAndFlag() throws {
        let r = KernelCounterRecord(netns: "hthost", time: Self.t0, forDiagnosis: true,
                                    values: ["Ip.InAddrErrors": 3, "TcpExt.IPReversePathFilter": 1 << 40])
        #expect(try KernelCounterRecord(decoding: r.encoded) == r)
        let current = KernelCounterRecord(netns: nil, time: Self.t0, forDiagnosis: false, values: [:])
        #expect(try KernelCounterRecord(decoding: current.encoded) == current)
        for n in 0..<r.encoded.count {
            #expect(throws: DecodeError.self) { try KernelCounterRecord(decoding: Array(r.encoded.prefix(n))) }
        }
    }

    @Test func onlyCountersHoptraceKnowsAreWrittenOrRead() throws {
        let r = KernelCounterRecord(netns: "n", time: Self.t0, forDiagnosis: false, values: ["Ip.InAddrErrors": 1, "Made.Up": 9])
        #expect(try KernelCounterRecord(decoding: r.encoded).values == ["Ip.InAddrErrors": 1])
    }

    @Test func onlyWhatMovedIsWrittenAfterTheFirst() {
        #expect(KernelCounterRecord.changes(from: nil, to: ["a": 1, "b": 2]) == ["a": 1, "b": 2])
        #expect(KernelCounterRecord.changes(from: ["a": 1, "b": 2], to: ["a": 1, "b": 5]) == ["b": 5])
        #expect(KernelCounterRecord.changes(from: ["a": 1], to: ["a": 1]).isEmpty)
    }

    @Test func theDecoderGivesEachSampleWholeAndTheReplayHistoryCountsAsLive() throws {
        var decoder = RecordingDecoder()
        let first = KernelCounterRecord(netns: "hthost", time: Self.t0, forDiagnosis: false,
                                        values: ["Ip.InAddrErrors": 10, "IpExt.InNoRoutes": 4])
        let moved = KernelCounterRecord(netns: "hthost", time: Self.t0.adding(seconds: 1), forDiagnosis: true, values: ["Ip.InAddrErrors": 13])
        decoder.feed(RecordFormatTests.file() + PcapngWriter.custom(first.encoded) + PcapngWriter.custom(moved.encoded))
        var history = CounterHistory()
        var samples: [[String: UInt64]] = []
        while let e = try decoder.next() {
            if case .kernelCounters(let netns, let values, let time, _) = e {
                samples.append(values)
                history.record(values: values, netns: netns, at: time)
            }
        }
        #expect(samples == [["Ip.InAddrErrors": 10, "IpExt.InNoRoutes": 4], ["Ip.InAddrErrors": 13, "IpExt.InNoRoutes": 4]])
        #expect(history.delta(in: "hthost", from: Self.t0) == ["Ip.InAddrErrors": 3])
    }

    @Test func aReasonRecordRoundTripsAndRefusesNamesThatAreNotSymbols() throws {
        let r = DropReasonRecord(entries: [.init(time: Self.t0, reason: "IP_RPFILTER", location: "ip_rcv_finish_core"),
                                           .init(time: Self.t0.adding(micros: 5), reason: "NO_SOCKET", location: nil)],
                                 forDiagnosis: true)
        #expect(try DropReasonRecord(decoding: r.encoded) == r)
        #expect(try DropReasonRecord(decoding: DropReasonRecord(entries: [], forDiagnosis: false).encoded).entries.isEmpty)
        let lost = DropReasonRecord(entries: r.entries, forDiagnosis: false, lostBefore: Self.t0.adding(seconds: 1))
        #expect(try DropReasonRecord(decoding: lost.encoded) == lost)
        for n in 0..<r.encoded.count {
            #expect(throws: DecodeError.self) { try DropReasonRecord(decoding: Array(r.encoded.prefix(n))) }
        }
        for (reason, location) in [("\u{1b}[2J", "f"), ("IP_RPFILTER", "f\u{202e}x"), ("", "f"), ("lower", "f")] {
            let hostile = DropReasonRecord(entries: [.init(time: Self.t0, reason: reason, location: location)], forDiagnosis: false)
            #expect(throws: DecodeError.self) { try DropReasonRecord(decoding: hostile.encoded) }
        }
    }

    @Test func aRecordingWithTooManyNamespacesKeepsTheFirstOnes() throws {
        var bytes = RecordFormatTests.file()
        for i in 0..<(CounterHistory.namespaceLimit + 50) {
            bytes += PcapngWriter.custom(KernelCounterRecord(netns: "ns\(i)", time: Self.t0, forDiagnosis: false, values: ["Ip.InAddrErrors": 1]).encoded)
        }
        var decoder = RecordingDecoder()
        decoder.feed(bytes)
        var namespaces = Set<String>()
        while let e = try decoder.next() {
            if case .kernelCounters(let netns, _, _, _) = e { namespaces.insert(netns ?? "") }
        }
        #expect(namespaces.count == CounterHistory.namespaceLimit)
    }
}
