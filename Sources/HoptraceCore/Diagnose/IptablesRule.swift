/// A rule as `iptables -S` prints it ("-A FORWARD -s 10.0.1.0/24 -o enX0 -j ACCEPT"), corrected
/// where a near miss differs: the fix of a rule iptables-nft wrote is `iptables -R`, since nft
/// editing an iptables table leaves iptables unable to list it.
enum IptablesRule {
    /// The tables iptables-nft makes in nftables.
    static let tables: Set<String> = ["filter", "nat", "mangle", "raw", "security"]

    /// The options that carry each field, long forms too.
    static let options: [RuleField: Set<String>] = [
        .iifname: ["-i", "--in-interface"], .oifname: ["-o", "--out-interface"],
        .saddr: ["-s", "--source", "--src"], .daddr: ["-d", "--destination", "--dst"],
        .sport: ["--sport", "--source-port"], .dport: ["--dport", "--destination-port"],
        .l4proto: ["-p", "--protocol"],
    ]

    /// The rule's words after "-A CHAIN" with each differing field's value set to the packet's;
    /// nil when a field has no option in the line, is negated there, or the packet's value is unknown.
    static func corrected(_ line: String, differences: [FieldEvaluation], packet: RulePacket) -> [String]? {
        var words = tokens(line)
        guard words.count >= 2, words[0] == "-A" else { return nil }
        words.removeFirst(2)
        for d in differences {
            guard let field = d.test?.field, let names = options[field],
                  let i = words.firstIndex(where: { names.contains($0) }), i + 1 < words.count,
                  i == 0 || words[i - 1] != "!" else { return nil }
            guard let value = value(field, packet: packet, ruleValue: words[i + 1]) else { return nil }
            words[i + 1] = value
        }
        return words
    }

    static func value(_ field: RuleField, packet: RulePacket, ruleValue: String) -> String? {
        switch field {
        case .iifname: return packet.iifname
        case .oifname: return packet.oifname
        case .saddr, .daddr:
            let address = field == .saddr ? packet.saddr : packet.daddr
            // The rule's prefix length kept: the packet's network, as wide as the rule meant it.
            let length = ruleValue.split(separator: "/").dropFirst().first.flatMap { Int($0) } ?? address.bitWidth
            return IPPrefix(address, length: length).map { "\($0.network)/\($0.length)" }
        case .sport: return packet.sport.map(String.init)
        case .dport: return packet.dport.map(String.init)
        case .l4proto: return IPProtocol.name(packet.l4proto)
        default: return nil
        }
    }

    /// Words as iptables quotes them: `"a comment"` is one word; `\"` inside stays a quote.
    static func tokens(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false, escaped = false, inWord = false
        for ch in line {
            if escaped {
                current.append(ch)
                escaped = false
            } else if ch == "\\" && quoted {
                escaped = true
            } else if ch == "\"" {
                quoted.toggle()
                inWord = true
            } else if ch == " " && !quoted {
                if inWord { out.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inWord { out.append(current) }
        return out
    }
}
