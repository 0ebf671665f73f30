import Foundation
import HoptraceCore

/// (c) The pipeline's pure parts in-process, without a lab: the decoder, and the
/// correlator with 1k / 10k / 100k live flows (events per second, memory at 100k).
struct CorrelatorBench {
    static let ns1 = CapturePoint(netns: "htns1", iface: "eth0"), veth1 = CapturePoint(netns: "hthost", iface: "veth1")
    static let docker1 = CapturePoint(netns: "hthost", iface: "docker1"), enX0 = CapturePoint(netns: "hthost", iface: "enX0")
    static let remote = CapturePoint(netns: "htremote", iface: "enX0")
    static let path = [ns1, veth1, docker1, enX0, remote]
    static let remoteIP = IPAddress.v4(IPv4Address("172.31.45.174")!), natIP = IPAddress.v4(IPv4Address("172.31.39.53")!)

    func run(flowCounts: [Int], seconds: Double) {
        say("\n(c) in-process, no lab: decoder and correlator (release build figures are the ones that count)")
        decoder(seconds: seconds)
        say("flows live | events/s through the correlator (5 sightings per packet, SNAT) | µs/event | RSS MiB after setup")
        for n in flowCounts { correlator(flows: n, seconds: seconds) }
    }

    func decoder(seconds: Double) {
        let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                              0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 172, 18, 0, 3, 172, 31, 45, 174,
                              8, 0, 0, 0, 0, 27, 0, 1] + [UInt8](repeating: 0, count: 56)
        let own: [UInt8] = [2, 0, 0, 0, 0, 1]
        var n = 0, sink = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            for _ in 0..<10_000 {
                if let p = try? PacketDecoder.decodeEthernet(frame, wireLength: 98, ownMAC: own) { sink &+= p.length }
            }
            n += 10_000
        }
        let rate = Double(n) / Date().timeIntervalSince(start)
        say(String(format: "decoder: %.2f M Ethernet/IPv4/ICMP frames/s (%.3f µs each)%@", rate / 1e6, 1e6 / rate, sink == 42 ? " " : ""))
    }

    func correlator(flows n: Int, seconds: Double) {
        let c = Correlator(paths: StaticPaths([.init(Self.path)]), lossTimeout: 1, maxFlows: n + 1000)
        var t = EventTime(seconds: 1_795_000_000, micros: 0)
        func src(_ i: Int) -> IPAddress { .v4(IPv4Address(0xAC12_0000 | UInt32(2 + i % 60000 / 250) << 8 | UInt32(2 + i % 250))) }
        func sport(_ i: Int) -> UInt16 { UInt16(1024 + i / 60000) }
        // MASQUERADE gives every flow a tuple of its own on the uplink: a port per flow
        // (and a remote port per 60000 of them). A shared one would hand each flow's
        // translated sightings to the flow before it, as a second journey.
        func natSport(_ i: Int) -> UInt16 { UInt16(1024 + i % 60000) }
        func dport(_ i: Int) -> UInt16 { UInt16(9000 + i / 60000) }
        var ipid: UInt16 = 0
        /// One UDP packet of flow i seen at the five hops, SNAT from enX0 on.
        func packet(_ i: Int) -> Int {
            ipid &+= 1
            var changes = 0
            for (hop, point) in Self.path.enumerated() {
                let p = DecodedPacket(direction: hop == 0 ? .outbound : .inbound, etherType: 0x0800,
                                      src: hop >= 3 ? Self.natIP : src(i), dst: Self.remoteIP, ipID: ipid, ttl: hop >= 3 ? 63 : 64,
                                      length: 46, transport: .udp(sport: hop >= 3 ? natSport(i) : sport(i), dport: dport(i)))
                t = EventTime(micros: t.micros + 1)
                changes += c.ingest(packet: p, at: point, time: t).count
            }
            return changes
        }
        for i in 0..<n {
            _ = packet(i)
            let e = ConntrackEvent(kind: .new, proto: 17,
                                   orig: .init(src: src(i), dst: Self.remoteIP, sport: sport(i), dport: dport(i)),
                                   reply: .init(src: Self.remoteIP, dst: Self.natIP, sport: dport(i), dport: natSport(i)), status: 1 << 3 | 1 << 4)
            _ = c.ingest(conntrack: e, netns: "hthost", time: t)
        }
        let rss = Self.residentMiB()
        var events = 0, i = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            for _ in 0..<2_000 {
                _ = packet(i % n)
                i += 7919  // a prime stride: flows visited in scattered order, like real traffic
                events += 5
            }
            _ = c.advance(to: t)
        }
        let rate = Double(events) / Date().timeIntervalSince(start)
        say(String(format: "%10d | %12.0f | %8.3f | %8.1f   (live %d, evicted %d)", n, rate, 1e6 / rate, rss, c.stats.live, c.stats.evicted))
    }

    static func residentMiB() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
