/// A command hoptrace suggests — a verdict's or a diagnosis' `fix`, an alternative — built as
/// argv and printed shell-quoted, always with the namespace it is about. Why: the names in it
/// (bridges, interfaces, namespaces, nft tables) come from containers and from recordings other
/// people hand you, and the text is meant to be pasted into a root shell. Built this way, a
/// bridge named `d$(id>&2)` stays one word, and a fix for `hthost` pasted on the host changes
/// `hthost`'s FORWARD chain, never the host's own.
///
/// `Verdict.fix`, `Diagnosis.fix` and `Diagnosis.alternatives` keep the rendered text
/// (`description`): NDJSON's `fix` stays a string.
public struct SuggestedCommand: Sendable, Hashable, CustomStringConvertible {
    /// Where it must run: a name under /run/netns (`ip netns exec NAME …`), a path
    /// (`nsenter --net=PATH …`), nil for the namespace hoptrace runs in (no prefix).
    public var netns: String?
    /// The command itself, without the namespace's entry: `["sysctl", "-w", "net.ipv4.ip_forward=1"]`.
    public var argv: [String]

    public init(netns: String?, _ argv: [String]) {
        self.netns = netns
        self.argv = argv
    }

    /// What to run, the namespace's entry first. iproute2's `ip` enters a named namespace itself:
    /// `ip -n NAME route …` is shorter than `ip netns exec NAME ip route …` and as explicit.
    /// (`ip -n` takes names only, so a path namespace gets nsenter like every other command.)
    /// Any other command in a named namespace reads `ip netns exec NAME …`: the form people who
    /// made it with `ip netns add` know.
    public var fullArgv: [String] {
        guard let netns else { return argv }
        let namespace = NetworkNamespace(netns)
        if let name = namespace.name, argv.first != "ip" { return ["ip", "netns", "exec", name] + argv }
        return namespace.pasteArgv(running: argv)
    }

    /// The text to paste: every word of `fullArgv` shell-quoted.
    public var description: String { ShellQuote.join(fullArgv) }
}

/// The commands the rules and the correlator suggest, one builder each, so the verdict's fix and
/// the diagnosis' fix for the same cause are the same text (Verdict.explain compares them).
extension SuggestedCommand {
    /// `sysctl -w KEY=VALUE`. A key with an interface name that contains a dot (eth0.100) is
    /// written with slashes, which sysctl(8) reads as separators instead of dots.
    static func sysctl(_ key: [String], _ value: Int, netns: String?) -> SuggestedCommand {
        let sep = key.contains { $0.contains(".") } ? "/" : "."
        return SuggestedCommand(netns: netns, ["sysctl", "-w", key.joined(separator: sep) + "=\(value)"])
    }

    /// Deletes the traced rule by handle: `nft delete rule ip filter FORWARD handle 4`; nil
    /// without a handle or family.
    static func deleteRule(_ step: RuleStep, netns: String?) -> SuggestedCommand? {
        guard let h = step.handle, let f = step.family else { return nil }
        return SuggestedCommand(netns: netns, ["nft", "delete", "rule", "\(f)", step.table, step.chain, "handle", "\(h)"])
    }

    /// `iptables -A FORWARD [-i IN] [[!] -o OUT] -j ACCEPT`; `exceptOut` negates the output
    /// interface (Docker's rule: from the bridge to anywhere but the bridge).
    static func acceptForward(in inName: String?, out outName: String?, exceptOut: Bool = false, netns: String?) -> SuggestedCommand {
        var argv = ["iptables", "-A", "FORWARD"]
        if let i = inName { argv += ["-i", i] }
        if let o = outName {
            if exceptOut { argv.append("!") }
            argv += ["-o", o]
        }
        return SuggestedCommand(netns: netns, argv + ["-j", "ACCEPT"])
    }

    /// S4: `iptables -A FORWARD [-o OUT] -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`.
    static func acceptReturning(towards outName: String?, netns: String?) -> SuggestedCommand {
        var argv = ["iptables", "-A", "FORWARD"]
        if let o = outName { argv += ["-o", o] }
        return SuggestedCommand(netns: netns, argv + ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"])
    }

    /// S1: `iptables -t nat -A POSTROUTING -s SOURCE ! -o BRIDGE -j MASQUERADE` (Docker's rule,
    /// `exceptOut`) or `… -s SOURCE -o UPLINK -j MASQUERADE` (`out`); ip6tables for IPv6.
    static func masquerade(_ source: IPPrefix, exceptOut bridge: String? = nil, out uplink: String? = nil,
                           netns: String?) -> SuggestedCommand {
        var argv = [source.network.v4 == nil ? "ip6tables" : "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "\(source)"]
        if let b = bridge { argv += ["!", "-o", b] } else if let u = uplink { argv += ["-o", u] }
        return SuggestedCommand(netns: netns, argv + ["-j", "MASQUERADE"])
    }

    /// `ip route add default via GATEWAY` (`ip -6` for an IPv6 gateway).
    static func addDefaultRoute(via gateway: IPAddress, netns: String?) -> SuggestedCommand {
        SuggestedCommand(netns: netns, ip(v6: gateway.v4 == nil) + ["route", "add", "default", "via", "\(gateway)"])
    }

    /// `ip route del ROUTE`, the route in iproute2's words (`blackhole 10.0.0.0/8`).
    static func deleteRoute(_ route: Route, netns: String?) -> SuggestedCommand {
        SuggestedCommand(netns: netns, ip(v6: route.destination.network.v4 == nil) + ["route", "del"] + route.words)
    }

    /// `ip`, or `ip -6`: iproute2 reads `default` as IPv4's unless told.
    private static func ip(v6: Bool) -> [String] { v6 ? ["ip", "-6"] : ["ip"] }
}

/// POSIX shell quoting, for text meant to be pasted into a shell: suggested fixes, and the
/// commands a failure message names (HoptraceLab's LabError). The one quoting function.
public enum ShellQuote {
    /// The words, each quoted, separated by spaces.
    public static func join<S: Sequence>(_ argv: S) -> String where S.Element == String {
        argv.map(quote).joined(separator: " ")
    }

    /// A word of only `A-Za-z0-9_@%+=:,./-` stays bare (except a leading `=`, which zsh expands
    /// to a command's path); anything else is single-quoted, a `'` written as `'\''`. Inside
    /// single quotes nothing is special to sh, bash (history `!` included) or zsh.
    /// A word with a character a terminal would obey (ESC, any control, a bidi override: an
    /// interface named inside a container) is ANSI-C quoted instead, `$'b$(id)\x1b[1m'`: it
    /// prints with no control character, and pasted into bash or zsh it is that exact name.
    public static func quote(_ word: String) -> String {
        if word.unicodeScalars.contains(where: TerminalText.isUnsafe) { return ansiC(word) }
        let bare = word.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "-_./:=,@%+".unicodeScalars.contains($0)
        }
        if bare && !word.isEmpty && !word.hasPrefix("=") { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// `$'…'`: `\\` and `\'` for themselves, `\xHH` for each UTF-8 byte of an unsafe character;
    /// everything else (`$`, `(`, spaces) is literal inside.
    private static func ansiC(_ word: String) -> String {
        var out = "$'"
        for scalar in word.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case _ where TerminalText.isUnsafe(scalar):
                for byte in String(scalar).utf8 { out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }
}
