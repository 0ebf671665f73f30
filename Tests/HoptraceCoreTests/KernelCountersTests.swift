import Foundation
import Testing
@testable import HoptraceCore

/// The kernel's drop counters (issue 17), parsed from real files: htkR, a router namespace on
/// Linux 6.18, after the drops recorded in Tests/Fixtures/kernel/README.md. Expected values are
/// read off the fixture text by eye, never from the parser's tables.
enum KernelFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kernel")

    static func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    /// `router` or `router-before`: snmp, netstat and the conntrack stat file.
    static func sample(_ name: String) throws -> KernelCounters {
        try KernelCounters(
            snmp: text("\(name).snmp"), netstat: text("\(name).netstat"),
            conntrackStat: text("\(name).nf_conntrack"))
    }
}

@Suite struct KernelCountersTests {
    /// Refused with exactly `expected` as its description.
    static func expectRefusal(
        _ expected: String, sourceLocation: SourceLocation = #_sourceLocation, _ parse: () throws -> Void
    ) {
        do {
            try parse()
            #expect(Bool(false), "accepted; expected: \(expected)", sourceLocation: sourceLocation)
        } catch let error as KernelCountersError {
            #expect(error.description == expected, sourceLocation: sourceLocation)
        } catch {
            #expect(Bool(false), "unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - The real files

    @Test func snmpKeepsEveryPrefixAndSkipsMaxConn() throws {
        let snmp = try KernelCounters.parseSNMP(KernelFixtures.text("router.snmp"))
        #expect(Set(snmp.keys.map { String($0.prefix(while: { $0 != "." })) }) == ["Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite"])
        // 20 Ip + 29 Icmp + 2 IcmpMsg + 15 Tcp less MaxConn + 9 Udp + 9 UdpLite.
        #expect(snmp.count == 83)
        #expect(snmp.filter { $0.key.hasPrefix("Ip.") } == [
            "Ip.Forwarding": 1, "Ip.DefaultTTL": 64, "Ip.InReceives": 192, "Ip.InHdrErrors": 26,
            "Ip.InAddrErrors": 6, "Ip.ForwDatagrams": 119, "Ip.InUnknownProtos": 0, "Ip.InDiscards": 0,
            "Ip.InDelivers": 0, "Ip.OutRequests": 41, "Ip.OutDiscards": 0, "Ip.OutNoRoutes": 0,
            "Ip.ReasmTimeout": 0, "Ip.ReasmReqds": 0, "Ip.ReasmOKs": 0, "Ip.ReasmFails": 0,
            "Ip.FragOKs": 3, "Ip.FragFails": 24, "Ip.FragCreates": 6, "Ip.OutTransmits": 95,
        ])
        #expect(snmp["Icmp.OutMsgs"] == 41)
        #expect(snmp["Icmp.OutRateLimitHost"] == 16)
        #expect(snmp["Icmp.OutDestUnreachs"] == 29)
        #expect(snmp["Icmp.OutTimeExcds"] == 12)
        #expect(snmp["Icmp.InMsgs"] == 0)
        #expect(snmp.filter { $0.key.hasPrefix("IcmpMsg.") } == ["IcmpMsg.OutType3": 29, "IcmpMsg.OutType11": 12])
        #expect(snmp["Tcp.RtoMax"] == 120_000)
        #expect(snmp["Tcp.MaxConn"] == nil, "the file says -1: a limit, not a count")
        #expect(snmp["Tcp.InCsumErrors"] == 0)
        #expect(snmp["UdpLite.MemErrors"] == 0)
        #expect(snmp["Ip.InNoRoutes"] == nil, "the snmp file has no such column; it is IpExt's")
    }

    @Test func netstatKeepsTcpExtIpExtAndMPTcpExt() throws {
        let netstat = try KernelCounters.parseNetstat(KernelFixtures.text("router.netstat"))
        #expect(Set(netstat.keys.map { String($0.prefix(while: { $0 != "." })) }) == ["TcpExt", "IpExt", "MPTcpExt"])
        #expect(netstat.count == 135 + 18 + 76)
        #expect(netstat["TcpExt.IPReversePathFilter"] == 15)
        #expect(netstat["TcpExt.SyncookiesSent"] == 0)
        #expect(netstat["TcpExt.TCPAODroppedIcmps"] == 0)
        #expect(netstat["IpExt.InNoRoutes"] == 26)
        #expect(netstat["IpExt.InOctets"] == 52736)
        #expect(netstat["IpExt.OutOctets"] == 27181)
        #expect(netstat["IpExt.InNoECTPkts"] == 192)
        #expect(netstat["MPTcpExt.MPCurrEstab"] == 0)
        #expect(netstat["MPTcpExt.WinProbe"] == 0)
    }

    @Test func conntrackColumnsAreSummedOverCPUsButEntriesIsNot() throws {
        let ct = try KernelCounters.parseConntrackStat(KernelFixtures.text("router.nf_conntrack"))
        // Two CPU lines: invalid 0x10 + 0x3, icmp_error 0x5 + 0x14, entries 6 on both.
        #expect(ct == [
            "nf_conntrack.entries": 6, "nf_conntrack.clashres": 0, "nf_conntrack.found": 0,
            "nf_conntrack.new": 0, "nf_conntrack.invalid": 19, "nf_conntrack.ignore": 0,
            "nf_conntrack.delete": 0, "nf_conntrack.chainlength": 0, "nf_conntrack.insert": 0,
            "nf_conntrack.insert_failed": 0, "nf_conntrack.drop": 0, "nf_conntrack.early_drop": 0,
            "nf_conntrack.icmp_error": 25, "nf_conntrack.expect_new": 0, "nf_conntrack.expect_create": 0,
            "nf_conntrack.expect_delete": 0, "nf_conntrack.search_restart": 0,
        ])
    }

    @Test func theSysctlFilesAreOneDecimalEach() throws {
        #expect(try KernelCounters.parseDecimal(KernelFixtures.text("router.nf_conntrack_count"), file: "count") == 6)
        #expect(try KernelCounters.parseDecimal(KernelFixtures.text("router.nf_conntrack_max"), file: "max") == 262_144)
        #expect(try KernelCounters.parseDecimal("7", file: "x") == 7)
        #expect(try KernelCounters.parseDecimal("  7 \n", file: "x") == 7)
    }

    @Test func oneSampleCombinesWhateverFilesThereAre() throws {
        let all = try KernelCounters(
            snmp: KernelFixtures.text("router.snmp"), netstat: KernelFixtures.text("router.netstat"),
            conntrackStat: KernelFixtures.text("router.nf_conntrack"),
            count: KernelFixtures.text("router.nf_conntrack_count"), max: KernelFixtures.text("router.nf_conntrack_max"))
        #expect(all.values.count == 83 + 229 + 17 + 2)
        #expect(all["Ip.InAddrErrors"] == 6)
        #expect(all["TcpExt.IPReversePathFilter"] == 15)
        #expect(all["nf_conntrack.invalid"] == 19)
        #expect(all["nf_conntrack.count"] == 6)
        #expect(all["nf_conntrack.max"] == 262_144)

        // A namespace where nothing loaded conntrack has no stat file.
        let noConntrack = try KernelCounters(snmp: KernelFixtures.text("router.snmp"), netstat: KernelFixtures.text("router.netstat"))
        #expect(noConntrack.values.count == 83 + 229)
        #expect(!noConntrack.values.keys.contains { $0.hasPrefix("nf_conntrack.") })
        #expect(try KernelCounters() == KernelCounters(values: [:]))
    }

    /// What `CounterFiles` samples: only the kept keys, with the values a full parse reads.
    @Test func aSelectionKeepsItsKeysWithTheirValues() throws {
        func sample(_ selection: KernelCounterSelection?) throws -> KernelCounters {
            try KernelCounters(
                snmp: KernelFixtures.text("router.snmp"), netstat: KernelFixtures.text("router.netstat"),
                conntrackStat: KernelFixtures.text("router.nf_conntrack"),
                count: KernelFixtures.text("router.nf_conntrack_count"), max: KernelFixtures.text("router.nf_conntrack_max"),
                keeping: selection)
        }
        let all = try sample(nil), kept = try sample(CounterHistory.selection)
        #expect(kept.values == all.values.filter { CounterHistory.keySet.contains($0.key) })
        // From every file: the pairs, conntrack's columns and the two sysctls.
        #expect(kept["Ip.InAddrErrors"] == 6)
        #expect(kept["TcpExt.IPReversePathFilter"] == 15)
        #expect(kept["nf_conntrack.invalid"] == 19)
        #expect(kept["nf_conntrack.count"] == 6 && kept["nf_conntrack.max"] == 262_144)
        #expect(kept["Ip.InReceives"] == 192, "a kept traffic counter")
        #expect(kept["TcpExt.SyncookiesSent"] == nil, "a counter no meaning explains is left out")
        #expect(kept.values.count < all.values.count / 4)
        let one = KernelCounterSelection(["Ip.A", "nf_conntrack.drop"])
        #expect(try KernelCounters.parseSNMP("Ip: A B\nIp: 1 2\nTcp: A\nTcp: 3\n", keeping: one) == ["Ip.A": 1])
        #expect(try KernelCounters.parseConntrackStat("entries drop\n00000001 00000002\n00000003 00000004\n", keeping: one) == ["nf_conntrack.drop": 6])
        #expect(try KernelCounters(count: "5", max: "9", keeping: one) == KernelCounters(values: [:]))
    }

    /// A selection skips building keys, never checking: a bad line no kept key is on is refused
    /// as without one.
    @Test func aSelectionRefusesWhatAFullParseRefuses() {
        let one = KernelCounterSelection(["Ip.A"])
        Self.expectRefusal("/proc/net/snmp line 4: the value of Tcp.B is 'x', not a decimal number below 2⁶⁴") {
            _ = try KernelCounters.parseSNMP("Ip: A\nIp: 1\nTcp: B\nTcp: x\n", keeping: one)
        }
        Self.expectRefusal("/proc/net/snmp line 3: IcmpMsg.OutType3 appears twice") {
            _ = try KernelCounters.parseSNMP("IcmpMsg: OutType3\nIcmpMsg: 1\nIcmpMsg: OutType3\nIcmpMsg: 2\n", keeping: one)
        }
        Self.expectRefusal("/proc/net/snmp line 1: Ip.B appears twice") {
            _ = try KernelCounters.parseSNMP("Ip: A B B\nIp: 1 2 3\n", keeping: one)
        }
        Self.expectRefusal("/proc/net/netstat line 4: 'IpExt:' names 1 counter but has 2 values") {
            _ = try KernelCounters.parseNetstat("TcpExt: A\nTcpExt: 1\nIpExt: InNoRoutes\nIpExt: 1 2\n", keeping: one)
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 3: the invalid value '0000000g' is not a 32-bit hexadecimal number") {
            _ = try KernelCounters.parseConntrackStat("entries  invalid\n00000001  00000002\n00000001  0000000g\n", keeping: one)
        }
        Self.expectRefusal("/proc/sys/net/netfilter/nf_conntrack_max: expected one decimal number, found '-1'") {
            _ = try KernelCounters(max: "-1\n", keeping: one)
        }
        Self.expectRefusal("/proc/net/netstat: Ip.A was already read from another file") {
            _ = try KernelCounters(snmp: "Ip: A\nIp: 1\n", netstat: "Ip: A\nIp: 2\n", keeping: one)
        }
    }

    // MARK: - Synthetic text in the kernel's layout

    @Test func perCPULinesAreSummedAndEntriesIsTheLargestReading() throws {
        // ct_cpu_seq_show's layout: two spaces after entries and after icmp_error.
        let text = """
            entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
            00000007  00000001 00000000 00000000 0000000a 00000000 00000000 00000000 00000000 00000002 00000003 00000004 00000000  00000000 00000000 00000000 00000001
            00000008  00000000 00000000 00000000 000000f0 00000000 00000000 00000000 00000000 00000001 00000001 00000000 00000000  00000000 00000000 00000000 00000000
            00000007  00000000 00000000 00000000 ffffffff 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000

            """
        let ct = try KernelCounters.parseConntrackStat(text)
        #expect(ct["nf_conntrack.entries"] == 8, "the table's size, read once per line: not 7 + 8 + 7")
        #expect(ct["nf_conntrack.invalid"] == 4_294_967_545, "0xa + 0xf0 + 0xffffffff: sums pass 32 bits")
        #expect(ct["nf_conntrack.insert_failed"] == 3)
        #expect(ct["nf_conntrack.drop"] == 4)
        #expect(ct["nf_conntrack.early_drop"] == 4)
        #expect(ct["nf_conntrack.clashres"] == 1)
        #expect(ct["nf_conntrack.search_restart"] == 1)
        #expect(ct.count == 17)
    }

    @Test func icmpMsgInSeveralPairsIsMerged() throws {
        // icmpmsg_put prints at most 16 types to a pair of lines, then starts another pair.
        let text = """
            Ip: Forwarding InReceives
            Ip: 2 5
            IcmpMsg: InType0 InType3 InType4 InType5 InType8 InType11 InType12 InType13 InType14 InType15 InType16 InType17 InType18 OutType0 OutType3 OutType8
            IcmpMsg: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
            IcmpMsg: OutType11
            IcmpMsg: 17

            """
        let snmp = try KernelCounters.parseSNMP(text)
        #expect(snmp.count == 2 + 17)
        #expect(snmp["IcmpMsg.InType0"] == 1)
        #expect(snmp["IcmpMsg.OutType8"] == 16)
        #expect(snmp["IcmpMsg.OutType11"] == 17)
    }

    @Test func onlyNegativeIntegersAreSkipped() throws {
        #expect(try KernelCounters.parseSNMP("Tcp: RtoMin MaxConn ActiveOpens\nTcp: 200 -1 4\n") == ["Tcp.RtoMin": 200, "Tcp.ActiveOpens": 4])
        #expect(try KernelCounters.parseSNMP("Tcp: MaxConn\nTcp: -1") == [:], "a last line without its newline")
        #expect(try KernelCounters.parseSNMP("Ip: A\nIp: 18446744073709551615\n") == ["Ip.A": UInt64.max])
    }

    // MARK: - Deltas

    @Test func deltaBetweenTheTwoRealSamplesIsWhatTheLabSent() throws {
        let before = try KernelFixtures.sample("router-before")
        let after = try KernelFixtures.sample("router")
        // 3 pings with TTL 1, 3 spoofed echo requests, 4 mid-stream ACKs dropped as INVALID.
        #expect(after.delta(since: before) == [
            "Ip.InReceives": 10, "Ip.InHdrErrors": 3, "Ip.ForwDatagrams": 4, "Ip.OutRequests": 3,
            "Ip.OutTransmits": 3, "Icmp.OutMsgs": 3, "Icmp.OutTimeExcds": 3, "IcmpMsg.OutType11": 3,
            "TcpExt.IPReversePathFilter": 3, "IpExt.InOctets": 556, "IpExt.OutOctets": 336,
            "IpExt.InNoECTPkts": 10, "nf_conntrack.invalid": 4,
        ])
        #expect(after.delta(since: after) == [:])
    }

    @Test func deltaRules() {
        let earlier = KernelCounters(values: [
            "Ip.InAddrErrors": 5, "Ip.InHdrErrors": 9, "Ip.FragFails": 7, "Ip.OutNoRoutes": 4,
            "nf_conntrack.entries": 10, "nf_conntrack.max": 100, "Tcp.CurrEstab": 3, "Udp.InErrors": 2,
        ])
        let later = KernelCounters(values: [
            "Ip.InAddrErrors": 8,  // +3
            "Ip.InHdrErrors": 9,  // unchanged: left out
            "Ip.FragFails": 2,  // went back: reset or wrap, reported as its new value
            "Ip.OutNoRoutes": 0,  // reset to 0: nothing counted since
            "nf_conntrack.entries": 4,  // a level: signed
            "nf_conntrack.max": 100,
            "Tcp.CurrEstab": 5,
            "IcmpMsg.OutType3": 2,  // new: counted from 0
            // Udp.InErrors gone: left out
        ])
        #expect(later.delta(since: earlier) == [
            "Ip.InAddrErrors": 3, "Ip.FragFails": 2, "nf_conntrack.entries": -6, "Tcp.CurrEstab": 2,
            "IcmpMsg.OutType3": 2,
        ])
        let huge = KernelCounters(values: ["Ip.InReceives": UInt64.max])
        #expect(huge.delta(since: KernelCounters(values: [:])) == ["Ip.InReceives": Int64.max], "clamped, never trapping")
        #expect(KernelCounters(values: ["Ip.Forwarding": 2]).delta(since: KernelCounters(values: ["Ip.Forwarding": 1])) == ["Ip.Forwarding": 1])
    }

    // MARK: - Refusals

    @Test func malformedPairsAreRefusedWithTheLine() {
        Self.expectRefusal("/proc/net/snmp line 2: 'Ip:' names 3 counters but has 2 values") {
            _ = try KernelCounters.parseSNMP("Ip: A B C\nIp: 1 2\n")
        }
        Self.expectRefusal("/proc/net/netstat line 4: 'IpExt:' names 1 counter but has 2 values") {
            _ = try KernelCounters.parseNetstat("TcpExt: A\nTcpExt: 1\nIpExt: InNoRoutes\nIpExt: 1 2\n")
        }
        Self.expectRefusal("/proc/net/snmp line 2: the value of Ip.B is 'x', not a decimal number below 2⁶⁴") {
            _ = try KernelCounters.parseSNMP("Ip: A B\nIp: 1 x\n")
        }
        Self.expectRefusal("/proc/net/snmp line 2: the value of Ip.A is '18446744073709551616', not a decimal number below 2⁶⁴") {
            _ = try KernelCounters.parseSNMP("Ip: A\nIp: 18446744073709551616\n")
        }
        Self.expectRefusal("/proc/net/snmp line 2: the value of Tcp.A is '-', not a decimal number below 2⁶⁴") {
            _ = try KernelCounters.parseSNMP("Tcp: A\nTcp: -\n")
        }
        Self.expectRefusal("/proc/net/snmp line 2: the value of Tcp.A is '+5', not a decimal number below 2⁶⁴") {
            _ = try KernelCounters.parseSNMP("Tcp: A\nTcp: +5\n")
        }
        Self.expectRefusal("/proc/net/snmp line 1: 'Ip:' names 2 counters but no line of values follows") {
            _ = try KernelCounters.parseSNMP("Ip: Forwarding DefaultTTL\n")
        }
        Self.expectRefusal("/proc/net/snmp line 3: 'Icmp:' names 1 counter but no line of values follows") {
            _ = try KernelCounters.parseSNMP("Ip: A\nIp: 1\nIcmp: InMsgs")
        }
        Self.expectRefusal("/proc/net/snmp line 2: expected the values of 'Ip:', found 'Icmp: B'") {
            _ = try KernelCounters.parseSNMP("Ip: A\nIcmp: B\nIcmp: 1\n")
        }
        Self.expectRefusal("/proc/net/snmp line 1: expected 'Prefix: Name …', found 'InReceives 5'") {
            _ = try KernelCounters.parseSNMP("InReceives 5\n")
        }
        Self.expectRefusal("/proc/net/snmp line 1: expected 'Prefix: Name …', found ': A'") {
            _ = try KernelCounters.parseSNMP(": A\n: 1\n")
        }
        Self.expectRefusal("/proc/net/snmp line 3: Ip.A appears twice") {
            _ = try KernelCounters.parseSNMP("Ip: A\nIp: 1\nIp: A\nIp: 2\n")
        }
        // Two different prefix and name pairs that make the same key.
        Self.expectRefusal("/proc/net/snmp line 3: A.B.C appears twice") {
            _ = try KernelCounters.parseSNMP("A.B: C\nA.B: 1\nA: B.C\nA: 2\n")
        }
        Self.expectRefusal("/proc/net/snmp: the file is empty") { _ = try KernelCounters.parseSNMP("") }
        Self.expectRefusal("/proc/net/netstat: the file is empty") { _ = try KernelCounters.parseNetstat("\n \n") }
        // Quoted text is cut at 40 characters.
        let long = "Icmp: " + String(repeating: "x", count: 60)
        Self.expectRefusal("/proc/net/snmp line 2: expected the values of 'Ip:', found '\(long.prefix(40))…'") {
            _ = try KernelCounters.parseSNMP("Ip: A\n\(long)\n")
        }
    }

    @Test func malformedConntrackStatIsRefusedWithTheLine() {
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 2: 2 values for 3 columns") {
            _ = try KernelCounters.parseConntrackStat("entries  drop invalid\n00000001  00000002\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 3: the invalid value '0000000g' is not a 32-bit hexadecimal number") {
            _ = try KernelCounters.parseConntrackStat("entries  invalid\n00000001  00000002\n00000001  0000000g\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 2: the drop value '100000000' is not a 32-bit hexadecimal number") {
            _ = try KernelCounters.parseConntrackStat("entries drop\n00000000 100000000\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 1: expected a header naming the columns (entries …), found values") {
            _ = try KernelCounters.parseConntrackStat("00000001  00000002\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 1: a header but no line of per-CPU values") {
            _ = try KernelCounters.parseConntrackStat("entries  drop\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack line 1: the column 'drop' appears twice") {
            _ = try KernelCounters.parseConntrackStat("entries drop drop\n00000000 00000000 00000000\n")
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack: the file is empty") { _ = try KernelCounters.parseConntrackStat("") }
    }

    @Test func malformedDecimalsAreRefused() {
        let file = "/proc/sys/net/netfilter/nf_conntrack_max"
        Self.expectRefusal("\(file): expected one decimal number, found ''") { _ = try KernelCounters(max: "") }
        Self.expectRefusal("\(file): expected one decimal number, found '12 13'") { _ = try KernelCounters(max: "12\n13\n") }
        Self.expectRefusal("\(file): expected one decimal number, found '-1'") { _ = try KernelCounters(max: "-1\n") }
        Self.expectRefusal("\(file): expected one decimal number, found '0x10'") { _ = try KernelCounters(max: "0x10") }
        Self.expectRefusal("/proc/sys/net/netfilter/nf_conntrack_count: expected one decimal number, found 'six'") {
            _ = try KernelCounters(count: "six\n")
        }
    }

    @Test func aKeyInTwoFilesIsRefused() {
        Self.expectRefusal("/proc/net/netstat: Ip.A was already read from another file") {
            _ = try KernelCounters(snmp: "Ip: A\nIp: 1\n", netstat: "Ip: A\nIp: 2\n")
        }
    }

    @Test func oversizedInputIsRefusedBeforeItIsParsed() throws {
        Self.expectRefusal("/proc/net/netstat: too large to be the kernel's counters: 262145 bytes, over the 256 KiB limit") {
            _ = try KernelCounters.parseNetstat(String(repeating: "a", count: 256 * 1024 + 1))
        }
        Self.expectRefusal("/proc/net/stat/nf_conntrack: too large to be the kernel's counters: 4097 lines, over the 4096 limit") {
            _ = try KernelCounters.parseConntrackStat("entries\n" + String(repeating: "00000000\n", count: 4096))
        }
        let names = (1...1024).map { "N\($0)" }.joined(separator: " ")
        Self.expectRefusal("/proc/net/snmp: too large to be the kernel's counters: line 1 has 1025 fields, over the 1024 limit") {
            _ = try KernelCounters.parseSNMP("Ip: \(names)\n")
        }
        Self.expectRefusal("/proc/sys/net/netfilter/nf_conntrack_count: too large to be the kernel's counters: 262145 bytes, over the 256 KiB limit") {
            _ = try KernelCounters(count: String(repeating: "1", count: 256 * 1024 + 1))
        }

        // At the limits, accepted: 1,024 fields to a line, 4,096 lines, 256 KiB.
        let fitting = (1...1023).map { "N\($0)" }.joined(separator: " ")
        let values = Array(repeating: "1", count: 1023).joined(separator: " ")
        #expect(try KernelCounters.parseSNMP("Ip: \(fitting)\nIp: \(values)\n").count == 1023)
        let cpus = try KernelCounters.parseConntrackStat("entries drop\n" + String(repeating: "00000001 00000001\n", count: 4095))
        #expect(cpus == ["nf_conntrack.entries": 1, "nf_conntrack.drop": 4095])
        let head = "Ip: A\nIp: 1"
        let padded = head + String(repeating: " ", count: 256 * 1024 - head.utf8.count)
        #expect(padded.utf8.count == 256 * 1024)
        #expect(try KernelCounters.parseSNMP(padded) == ["Ip.A": 1])
    }

    // MARK: - Meanings

    /// Every key that moved in the namespace that dropped (htkR), and the sender's ICMP error
    /// counters, in the lab measurements of Tests/Fixtures/kernel/README.md.
    static let measured: [String: [String]] = [
        "ip_forward=0": ["Ip.InReceives", "Ip.InAddrErrors"],
        "no route": [
            "Ip.InReceives", "IpExt.InNoRoutes", "Ip.OutRequests", "Ip.OutTransmits", "Icmp.OutMsgs",
            "Icmp.OutDestUnreachs", "IcmpMsg.OutType3", "Icmp.OutRateLimitHost",
            "Icmp.InDestUnreachs", "IcmpMsg.InType3",
        ],
        "no route at the sender": ["Ip.OutNoRoutes"],
        "rp_filter": ["Ip.InReceives", "TcpExt.IPReversePathFilter"],
        "TTL expiry": [
            "Ip.InReceives", "Ip.InHdrErrors", "Ip.OutRequests", "Ip.OutTransmits", "Icmp.OutMsgs",
            "Icmp.OutTimeExcds", "IcmpMsg.OutType11", "Icmp.OutRateLimitHost",
            "Icmp.InTimeExcds", "IcmpMsg.InType11",
        ],
        "DF over a smaller MTU": [
            "Ip.InReceives", "Ip.ForwDatagrams", "Ip.OutRequests", "Ip.FragFails", "Ip.OutTransmits",
            "Icmp.OutMsgs", "Icmp.OutDestUnreachs", "IcmpMsg.OutType3", "Icmp.InDestUnreachs", "IcmpMsg.InType3",
        ],
        "fragmented, DF clear": ["Ip.ForwDatagrams", "Ip.FragOKs", "Ip.FragCreates", "Ip.OutTransmits"],
        "conntrack INVALID": ["Ip.InReceives", "Ip.ForwDatagrams", "nf_conntrack.invalid", "nf_conntrack.entries"],
    ]

    @Test func theMeaningTableCoversEveryCounterThatMovedInTheLab() {
        for (scenario, keys) in Self.measured {
            for key in keys {
                #expect(KernelCounters.meaning(of: key) != nil, "\(scenario): \(key) has no meaning")
            }
        }
        #expect(KernelCounters.meaning(of: "TcpExt.IPReversePathFilter")?.meaning == "dropped by reverse-path filtering (rp_filter): the source does not route back through the input interface")
        #expect(KernelCounters.meaning(of: "Ip.InNoRoutes") == nil, "not a counter the kernel prints")
    }

    @Test func dropKindsAreTheCountersThatMeanAPacketDied() {
        #expect(Set(KernelCounters.dropKeys) == [
            "Ip.InHdrErrors", "Ip.InAddrErrors", "IpExt.InNoRoutes", "Ip.InDiscards", "TcpExt.IPReversePathFilter",
            "Ip.FragFails", "Ip.OutNoRoutes", "nf_conntrack.drop", "nf_conntrack.insert_failed",
        ])
        #expect(KernelCounters.meaning(of: "Icmp.OutTimeExcds")?.kind == .icmpSent)
        #expect(KernelCounters.meaning(of: "Ip.ForwDatagrams")?.kind == .traffic, "counted before the MTU check and FORWARD: not delivery")
        #expect(KernelCounters.meaning(of: "nf_conntrack.invalid")?.kind == .sign, "dropped only by a rule")
    }

    @Test func everyMeaningNamesACounterTheKernelPrintsOnce() throws {
        let meanings = KernelCounters.meanings
        #expect(Set(meanings.map(\.key)).count == meanings.count, "each key once")
        let sample = try KernelCounters(
            snmp: KernelFixtures.text("router.snmp"), netstat: KernelFixtures.text("router.netstat"),
            conntrackStat: KernelFixtures.text("router.nf_conntrack"),
            count: KernelFixtures.text("router.nf_conntrack_count"), max: KernelFixtures.text("router.nf_conntrack_max"))
        for m in meanings {
            if m.key.hasPrefix("IcmpMsg.") {
                // Present only once counted: the type's name is In/OutType and a number.
                let type = m.key.dropFirst("IcmpMsg.".count)
                let number = type.hasPrefix("OutType") ? type.dropFirst(7) : type.dropFirst(6)
                #expect((type.hasPrefix("InType") || type.hasPrefix("OutType")) && UInt8(number) != nil, "\(m.key)")
            } else {
                #expect(sample[m.key] != nil, "\(m.key) is not in the real files")
            }
            #expect(!m.meaning.isEmpty && !m.meaning.contains("\n"), "\(m.key): one line")
            #expect(!m.countedIn.isEmpty, "\(m.key): where the kernel counts it")
            if m.kind == .level { #expect(KernelCounters.levels.contains(m.key), "\(m.key) is a level") }
        }
    }
}
