import Testing
@testable import HoptraceCore

/// The fix of a near-missing rule iptables-nft wrote: its `iptables -S` line with the differing
/// fields set to the packet's values (issue 18), so `iptables -R` corrects it in place.
@Suite struct IptablesRuleTests {
    static let packet = RulePacket(saddr: .v4(IPv4Address(0xAC12_0003)), daddr: .v4(IPv4Address(0xAC1F_2DAE)), l4proto: IPProtocol.tcp,
                                   sport: 40000, dport: 80, iifname: "docker1", oifname: "enX0")

    static func difference(_ field: RuleField, _ label: String, rule: String) -> FieldEvaluation {
        FieldEvaluation(field: label, op: .eq, ruleValue: rule, packetValue: nil, result: .differs, statementIndex: 0,
                        test: RuleTest(field: field, label: label, op: .eq, value: .name(rule), isImplied: false))
    }

    @Test func theOutputInterfaceIsSetToTheOneThePacketLeftBy() {
        let spec = IptablesRule.corrected("-A POSTROUTING -s 172.18.0.0/24 -o eth0 -j MASQUERADE",
                                          differences: [Self.difference(.oifname, "oifname", rule: "eth0")], packet: Self.packet)
        #expect(spec == ["-s", "172.18.0.0/24", "-o", "enX0", "-j", "MASQUERADE"])
    }

    @Test func aSubnetKeepsItsLengthAndTakesThePacketsNetwork() {
        let spec = IptablesRule.corrected("-A FORWARD -s 172.18.1.0/24 -o enX0 -j ACCEPT",
                                          differences: [Self.difference(.saddr, "ip saddr", rule: "172.18.1.0/24")], packet: Self.packet)
        #expect(spec == ["-s", "172.18.0.0/24", "-o", "enX0", "-j", "ACCEPT"])
    }

    @Test func aPortAndAQuotedCommentSurvive() {
        let line = #"-A DOCKER ! -i docker1 -p tcp -m tcp --dport 8000 -m comment --comment "web \"front\"" -j DNAT --to-destination 172.18.0.3:80"#
        #expect(IptablesRule.tokens(line).contains(#"web "front""#))
        let spec = IptablesRule.corrected(line, differences: [Self.difference(.dport, "tcp dport", rule: "8000")], packet: Self.packet)
        #expect(spec?.contains("--dport") == true && spec?[spec!.firstIndex(of: "--dport")! + 1] == "80")
    }

    @Test func aNegatedOrMissingOptionGivesNoCorrection() {
        // `! -i docker1` differing: "not docker1" has no single value to set.
        #expect(IptablesRule.corrected("-A DOCKER ! -i docker1 -j RETURN", differences: [Self.difference(.iifname, "iifname", rule: "docker1")],
                                       packet: Self.packet) == nil)
        #expect(IptablesRule.corrected("-A FORWARD -j ACCEPT", differences: [Self.difference(.oifname, "oifname", rule: "eth0")],
                                       packet: Self.packet) == nil)
        #expect(IptablesRule.corrected("-P FORWARD DROP", differences: [], packet: Self.packet) == nil)
    }
}
