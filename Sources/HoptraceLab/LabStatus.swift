import Foundation
import HoptraceCore

/// What `lab status` shows for one namespace: links with their peers and
/// masters, addresses, routes, the lab's iptables rules and its sysctls.
public struct NamespaceStatus: Sendable, Equatable {
    public struct Link: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var state: String
        public var master: String?
        /// "eth0 in htns1": the veth's other end, resolved across namespaces.
        public var peer: String?
        public var addresses: [String]
    }

    public var name: String
    public var exists: Bool
    public var links: [Link] = []
    public var routes: [String] = []
    public var rules: [String] = []
    public var sysctls: [(String, String)] = []

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.exists == b.exists && a.links == b.links && a.routes == b.routes
            && a.rules == b.rules && a.sysctls.map { "\($0)=\($1)" } == b.sysctls.map { "\($0)=\($1)" }
    }
}

/// Parses `ip -j -d addr show` output. Peers are left as (ifindex, nsid) for the caller to name.
public enum IPJSON {
    public struct RawLink: Sendable, Equatable {
        public var ifindex: Int
        public var link: NamespaceStatus.Link
        public var peerIndex: Int?
        public var peerNsid: Int?
    }

    /// Fields of another type show as "?" (or as absent); output that is JSON but no list of
    /// objects shows no links, and output that is not JSON is an error.
    public static func links(_ json: String) throws -> [RawLink] {
        let entries: [IPLinkJSON]
        do {
            entries = try IPJSONList.entries(IPJSONRepair.repaired(Data(json.utf8)), as: IPLinkJSON.self)
        } catch {
            switch error {
            case .notJSON: throw error
            case .notAList, .notAnObject: return []
            }
        }
        return entries.map { entry in
            var addrs: [String] = []
            if case .entries(let infos)? = entry.addrInfo {
                addrs = infos.compactMap { a -> String? in
                    guard let local = a.local?.stringValue, let len = a.prefixlen?.integerValue else { return nil }
                    return "\(local)/\(len)"
                }
            }
            let link = NamespaceStatus.Link(
                name: entry.ifname?.stringValue ?? "?",
                kind: entry.infoKind ?? (entry.linkType?.stringValue ?? "?"),
                state: entry.operstate?.stringValue ?? "?",
                master: entry.master?.stringValue,
                peer: entry.link?.stringValue,
                addresses: addrs)
            return RawLink(
                ifindex: entry.ifindex?.integerValue ?? 0, link: link,
                peerIndex: entry.linkIndex?.integerValue, peerNsid: entry.linkNetnsid?.integerValue)
        }
    }

    /// `ip netns list-id` lines: "nsid 0 (iproute2 netns name: htns1)".
    public static func nsids(_ text: String) -> [Int: String] {
        var map: [Int: String] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 2, words[0] == "nsid", let id = Int(words[1]),
                  let nameRange = line.range(of: "name: ") else { continue }
            map[id] = String(line[nameRange.upperBound...].dropLast(line.hasSuffix(")") ? 1 : 0))
        }
        return map
    }
}

extension NamespaceStatus {
    public func render() -> String {
        guard exists else { return "\(name): not present\n" }
        var out = "\(name)\n"
        for l in links {
            var line = "  link \(l.name) \(l.kind) \(l.state)"
            if let peer = l.peer { line += " peer \(peer)" }
            if let master = l.master { line += " master \(master)" }
            if !l.addresses.isEmpty { line += " " + l.addresses.joined(separator: " ") }
            out += line + "\n"
        }
        for r in routes { out += "  route \(r)\n" }
        for r in rules { out += "  rule \(r)\n" }
        for (k, v) in sysctls { out += "  sysctl \(k) = \(v)\n" }
        return out
    }
}

extension Lab {
    /// Reads the lab's state with iproute2/iptables/sysctl, inside each lab namespace.
    public func status() throws -> [NamespaceStatus] {
        var raw: [String: [IPJSON.RawLink]] = [:]
        for ns in topology.namespaces where Self.namespaceExists(ns) {
            raw[ns] = try IPJSON.links(runner.run(["ip", "-n", ns, "-j", "-d", "addr", "show"]).stdout)
        }
        return try topology.namespaces.map { ns in
            guard let links = raw[ns] else { return NamespaceStatus(name: ns, exists: false) }
            var s = NamespaceStatus(name: ns, exists: true)
            let nsids = IPJSON.nsids((try? runner.run(["ip", "-n", ns, "netns", "list-id"]).stdout) ?? "")
            s.links = links.map { rawLink in
                var link = rawLink.link
                if let idx = rawLink.peerIndex, let nsid = rawLink.peerNsid, let peerNs = nsids[nsid] {
                    let peerName = raw[peerNs]?.first { $0.ifindex == idx }?.link.name ?? "if\(idx)"
                    link.peer = "\(peerName) in \(peerNs)"
                }
                return link
            }
            s.routes = try runner.run(["ip", "-n", ns, "route", "show"]).stdout.split(separator: "\n").map(String.init)
            let exec = ["ip", "netns", "exec", ns]
            if ns == topology.host {
                for table in ["filter", "nat"] {
                    let text = try runner.run(exec + ["iptables", "-w", "-t", table, "-S"]).stdout
                    s.rules += text.split(separator: "\n").map { "\(table): \($0)" }
                }
            }
            for key in ["net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables"] {
                let value = (try? runner.run(exec + ["sysctl", "-n", key]).stdout) ?? "unavailable"
                s.sysctls.append((key, value.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            return s
        }
    }
}
