import Foundation
import HoptraceCore
import Testing

/// Times from the command line and from crafted recordings, through the real binary (issue 14,
/// finding 1). Needs no root: only the binary and files. A Swift trap ends the process with a
/// signal (SIGILL or SIGTRAP: `Hoptrace.exec` reports 128 + it, as a shell does); each case
/// here must end with an ordinary failure status and a sentence on stderr instead.
@Suite struct ExtremeTimeIntegrationTests {
    static let fixture = Hoptrace.packageRoot.appendingPathComponent("Tests/Fixtures/scenarios/s2-ping-masquerade.pcapng").path
    /// SIGILL, SIGTRAP, SIGABRT, SIGSEGV, as bare signal numbers and as 128 + them (`Termination.code`, a shell).
    static let crashes: Set<Int32> = [4, 5, 6, 11, 132, 133, 134, 139]

    @Test(arguments: zip(
        ["--loss-timeout=1e300", "--loss-timeout=inf", "--loss-timeout=nan", "--loss-timeout=0", "--loss-timeout=3601",
         "--duration=nan", "--duration=-1", "--duration=inf", "--stats-interval=0", "--stats-interval=inf"],
        ["--loss-timeout must be more than 0 and at most 3600 seconds", "--loss-timeout must be more than 0 and at most 3600 seconds",
         "--loss-timeout must be more than 0 and at most 3600 seconds", "--loss-timeout must be more than 0 and at most 3600 seconds",
         "--loss-timeout must be more than 0 and at most 3600 seconds",
         "--duration must be a positive number of seconds", "--duration must be a positive number of seconds",
         "--duration must be a positive number of seconds",
         "--stats-interval must be a positive number of seconds", "--stats-interval must be a positive number of seconds"]))
    func anImpossibleNumberOfSecondsIsRefusedWithASentence(option: String, sentence: String) throws {
        let r = try Hoptrace.run(["watch", "-r", Self.fixture, "--flows", option])
        #expect(r.status != 0 && !Self.crashes.contains(r.status), "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(sentence), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// The largest loss timeout allowed, over a real recording: the replay runs on past its
    /// last event by an hour and ends normally.
    @Test func theLargestLossTimeoutReplays() throws {
        let r = try Hoptrace.run(["watch", "-r", Self.fixture, "--flows", "--loss-timeout", "3600"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""type":"flow""#))
    }

    /// Recordings whose times are not times (a packet stamped 2^64 - 1 or 2^63 µs, a conntrack
    /// event at Int64.max, a capture loss before 1970): the replay stops at that block with its
    /// byte offset, after the packet before it.
    @Test func aRecordingWithAnImpossibleTimeStopsAtItsOffset() throws {
        let point = CapturePoint(netns: "hthost", iface: "docker1")
        let interface = RecordedInterface(point: point, linkType: 1, snapLength: 256, mac: [2, 0, 0, 0, 0, 1])
        let frame = [UInt8](repeating: 0, count: 60)
        let good = PcapngWriter.packet(interface: 0, micros: 1_795_554_732_877_331, captured: frame, wireLength: 60, direction: 1)
        let head = PcapngWriter.sectionHeader(application: "hoptrace test") + PcapngWriter.interface(interface) + good
        let event = ConntrackEvent(
            kind: .new, proto: 1,
            orig: .init(src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), icmp: (8, 0, 27)),
            reply: .init(src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.31.39.53")!), icmp: (0, 0, 27)),
            status: 8, tcpState: nil, timeout: 30, mark: 0, zone: 0, id: 7)
        let bad: [[UInt8]] = [
            PcapngWriter.packet(interface: 0, micros: -1, captured: frame, wireLength: 60, direction: 1),
            PcapngWriter.packet(interface: 0, micros: .min, captured: frame, wireLength: 60, direction: 1),
            PcapngWriter.packet(interface: 0, micros: .max, captured: frame, wireLength: 60, direction: 1),
            PcapngWriter.custom(ConntrackRecord(netns: "hthost", micros: .max, event: event).encoded),
            PcapngWriter.custom(CaptureLossRecord(point: point, dropped: 1, from: EventTime(micros: -1), to: EventTime(micros: 0)).encoded),
        ]
        for (i, block) in bad.enumerated() {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ht-extreme-\(getpid())-\(i).pcapng")
            try Data(head + block + good).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let r = try Hoptrace.run(["watch", "-r", file.path, "--flows"])
            #expect(r.status == 1, "block \(i): status \(r.status): \(r.stderr)")
            #expect(!Self.crashes.contains(r.status))
            #expect(r.stderr.contains("at byte offset \(head.count)"), "block \(i): \(r.stderr)")
            #expect(r.stderr.contains("the 1 packets before it were replayed"), "block \(i): \(r.stderr)")
        }
    }
}
