import Foundation
import Glibc
import HoptraceCore
import HoptraceSystem

/// Reads a namespace's forwarding facts from inside it: /proc/sys/net belongs to the namespace
/// of the thread that opens the file, so the reads run on a thread that entered it.
public enum NamespaceFactsReader {
    public static func read(netns: String?) throws -> NamespaceFacts {
        let namespace = netns.map { NetworkNamespace($0) }
        var facts = try NetnsThread.run(in: namespace) { () -> NamespaceFacts in
            func value(_ key: String) -> Int? {
                NamespaceFacts.parseInt(try? String(contentsOfFile: "/proc/sys/" + key, encoding: .utf8))
            }
            var rp: [String: Int] = [:]
            let confs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/sys/net/ipv4/conf")) ?? []
            for iface in confs {
                if let v = value("net/ipv4/conf/\(iface)/rp_filter") { rp[iface] = v }
            }
            return NamespaceFacts(
                netns: netns, ipForward: value("net/ipv4/ip_forward").map { $0 != 0 }, rpFilter: rp,
                // Absent unless br_netfilter is loaded: then bridged frames never reach iptables.
                bridgeNFCallIptables: value("net/bridge/bridge-nf-call-iptables").map { $0 != 0 },
                conntrackCount: value("net/netfilter/nf_conntrack_count"),
                conntrackMax: value("net/netfilter/nf_conntrack_max"))
        }
        let version = try? NamespaceCommand.run(["iptables", "-V"], in: namespace)
        facts.iptablesBackend = NamespaceFacts.parseBackend(version.map { $0.stdout + $0.stderr })
        facts.tracingAvailable = ToolLocator.locate("nft") != nil
        return facts
    }

    /// Facts of several namespaces; one that cannot be read is left out.
    public static func read(namespaces: [String?]) -> FactsBook {
        FactsBook(namespaces.compactMap { try? read(netns: $0) })
    }
}
