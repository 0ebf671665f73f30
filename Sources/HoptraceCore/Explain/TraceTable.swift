/// A narrow nft match for the packets to trace: `ip saddr 172.18.0.3 ip daddr 172.31.45.174
/// icmp type echo-request`. Never "all traffic": tracing every packet floods the netlink
/// socket and slows the namespace down.
public struct TraceSelector: Sendable, Hashable, CustomStringConvertible {
    public let expression: String

    /// Checks the expression cannot escape its rule (no `;`, newline, `#`, braces that do not
    /// nest or an unclosed quote) and is not empty; nft itself validates the rest when the table
    /// is installed.
    public init(expression: String) throws(TraceSelectorError) {
        let e = expression.trimmingWhitespace()
        guard !e.isEmpty else { throw .empty }
        for bad: Character in [";", "\n", "\r", "#"] where e.contains(bad) { throw .forbidden(bad) }
        if let bad = Self.unbalanced(e) { throw .forbidden(bad) }
        guard !e.contains("nftrace"), !e.split(separator: " ").contains(where: { ["accept", "drop", "reject", "jump", "goto", "queue"].contains($0) })
        else { throw .notAMatch(e) }
        self.expression = e
    }

    public var description: String { expression }

    /// The first brace outside double quotes that does not nest (`}` before its `{`, or a `{`
    /// never closed), or a quote never closed; nil when all is balanced. Counts alone would let
    /// `} chain x {` through: it closes the rule's chain and opens another. A quoted string in
    /// nft runs to the next quote, across lines, so an open one would swallow the script's next line.
    static func unbalanced(_ e: String) -> Character? {
        var depth = 0, quoted = false
        for ch in e {
            if ch == "\"" {
                quoted.toggle()
            } else if !quoted && ch == "{" {
                depth += 1
            } else if !quoted && ch == "}" {
                depth -= 1
                if depth < 0 { return "}" }
            }
        }
        if quoted { return "\"" }
        return depth > 0 ? "{" : nil
    }

    /// The selectors for every form the flow's packets take in any namespace: the request as sent
    /// (`orig`) and after NAT (`reply` reversed), the reply as sent (`reply`) and after un-NAT.
    /// ICMP echo matches type and id; TCP/UDP match ports; other protocols match addresses.
    public static func forFlow(orig: FlowKey, reply: FlowKey?, echo: Bool) -> [TraceSelector] {
        var keys: [(FlowKey, Bool)] = [(orig, true)]
        if let r = reply {
            keys.append((r.reversed(), true))
            keys.append((r, false))
        }
        keys.append((orig.reversed(), false))
        var out: [TraceSelector] = []
        for (k, request) in keys {
            if let s = try? TraceSelector(expression: match(k, echo: echo, request: request)), !out.contains(s) { out.append(s) }
        }
        return out
    }

    /// The selectors for a flow hoptrace follows.
    public static func forFlow(_ flow: Flow) -> [TraceSelector] {
        forFlow(orig: flow.orig, reply: flow.reply, echo: flow.echo)
    }

    static func match(_ k: FlowKey, echo: Bool, request: Bool) -> String {
        let ip = k.src.v4 == nil ? "ip6" : "ip"
        var parts = ["\(ip) saddr \(k.src)", "\(ip) daddr \(k.dst)"]
        switch k.proto {
        case IPProtocol.icmp where echo:
            parts.append("icmp type \(request ? "echo-request" : "echo-reply")")
            parts.append("icmp id \(k.sport)")
        case IPProtocol.icmpv6 where echo:
            parts.append("icmpv6 type \(request ? "echo-request" : "echo-reply")")
            parts.append("icmpv6 id \(k.sport)")
        case IPProtocol.tcp, IPProtocol.udp:
            let l4 = k.proto == IPProtocol.tcp ? "tcp" : "udp"
            parts.append("\(l4) sport \(k.sport)")
            parts.append("\(l4) dport \(k.dport)")
        default:
            parts.append("\(ip == "ip" ? "ip protocol" : "meta l4proto") \(k.proto)")
        }
        return parts.joined(separator: " ")
    }
}

public enum TraceSelectorError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case forbidden(Character)
    case notAMatch(String)

    public var description: String {
        switch self {
        case .empty: return "empty trace selector: hoptrace traces only the packets a selector matches, never all traffic"
        case .forbidden(let c): return "trace selector may not contain '\(c)': it must be one nft match expression"
        case .notAMatch(let e): return "trace selector '\(e)' must only match packets (no verdicts, no nftrace)"
        }
    }
}

/// hoptrace's own temporary table, `inet hoptrace_<pid>`: base chains hooked before conntrack
/// (priority raw - 1 = -301) in prerouting and output that set `meta nftrace 1` on the selected
/// packets and accept everything (a policy accept changes nothing: later chains still decide).
public enum TraceTable {
    public static let namePrefix = "hoptrace_"
    public static let priority = -301

    public static func name(pid: Int32) -> String { "\(namePrefix)\(pid)" }

    /// The pid in `hoptrace_<pid>`, or nil for any other name.
    public static func pid(ofTable name: String) -> Int32? {
        guard name.hasPrefix(namePrefix) else { return nil }
        let digits = name.dropFirst(namePrefix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
        return Int32(digits)
    }

    /// An `nft -f -` script that (re)creates the table atomically: declaring then deleting
    /// first makes it work whether or not the table exists, in one transaction. `startTime`
    /// (the process's, `ProcessStat`) goes into the comment: with the pid it names the run.
    public static func installScript(pid: Int32, startTime: UInt64? = nil, selectors: [TraceSelector]) -> String {
        let t = name(pid: pid)
        let rules = selectors.map { "\t\t\($0.expression) meta nftrace set 1\n" }.joined()
        return """
        table inet \(t)
        delete table inet \(t)
        table inet \(t) {
        \tcomment "\(comment(pid: pid, startTime: startTime))"
        \tchain trace_prerouting {
        \t\ttype filter hook prerouting priority \(priority); policy accept;
        \(rules)\t}
        \tchain trace_output {
        \t\ttype filter hook output priority \(priority); policy accept;
        \(rules)\t}
        }

        """
    }

    /// Deletes the table, whether or not it exists.
    public static func removeScript(pid: Int32) -> String {
        let t = name(pid: pid)
        return "table inet \(t)\ndelete table inet \(t)\n"
    }

    // Which of these tables are leftovers of runs that are gone: StaleTraceTable.swift.
}
