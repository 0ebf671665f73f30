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

/// The kernel's own drop reasons (`skb:kfree_skb`'s `reason:` field), read from a tracefs
/// instance of our own. Only when tracefs is ALREADY mounted: hoptrace never mounts anything
/// in the machine's namespace. Drop reasons are global (not per namespace).
public final class DropReasonMonitor: @unchecked Sendable {
    public enum Availability: Equatable, Sendable, CustomStringConvertible {
        case available(String)
        case unavailable(String)

        public var description: String {
            switch self {
            case .available(let root): return "drop reasons from \(root)"
            case .unavailable(let why): return "drop reasons unavailable (\(why))"
            }
        }
    }

    static let roots = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// Where tracefs is mounted with instances, or why drop reasons cannot be read.
    public static func availability() -> Availability {
        for root in roots where access(root + "/instances", F_OK) == 0 {
            guard access(root + "/events/skb/kfree_skb", F_OK) == 0 else {
                return .unavailable("the kernel has no skb:kfree_skb tracepoint")
            }
            return .available(root)
        }
        return .unavailable("tracefs not mounted")
    }

    public let instance: String
    public let fd: Int32
    private var pending = ""
    private var closed = false

    /// Creates `instances/hoptrace_<pid>`, enables skb:kfree_skb in it and opens its trace_pipe.
    public init(pid: Int32 = getpid()) throws {
        guard case .available(let root) = Self.availability() else {
            throw ExplainError.nft(netns: nil, action: "read drop reasons", message: "\(Self.availability())")
        }
        instance = "\(root)/instances/\(TraceTable.name(pid: pid))"
        if mkdir(instance, 0o700) != 0 && errno != EEXIST {
            throw ExplainError.socket(netns: nil, function: "mkdir \(instance)", errno: errno)
        }
        guard Self.write("1", to: instance + "/events/skb/kfree_skb/enable") else {
            let e = errno
            rmdir(instance)
            throw ExplainError.socket(netns: nil, function: "enable skb:kfree_skb", errno: e)
        }
        fd = Glibc.open(instance + "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            _ = Self.write("0", to: instance + "/events/skb/kfree_skb/enable")
            rmdir(instance)
            throw ExplainError.socket(netns: nil, function: "open trace_pipe", errno: e)
        }
    }

    /// Complete lines read so far, parsed.
    public func drain() -> [KernelDrop] {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        guard let cut = pending.lastIndex(of: "\n") else { return [] }
        let lines = pending[..<cut].split(separator: "\n")
        pending = String(pending[pending.index(after: cut)...])
        return lines.compactMap { KernelDrop(traceLine: String($0)) }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
        _ = Self.write("0", to: instance + "/events/skb/kfree_skb/enable")
        rmdir(instance)
    }

    deinit { close() }

    static func write(_ s: String, to path: String) -> Bool {
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return s.withCString { Glibc.write(fd, $0, strlen($0)) } >= 0
    }
}
