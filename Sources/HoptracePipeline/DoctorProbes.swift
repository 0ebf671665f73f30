import Foundation
import HoptraceCapture
import HoptraceCore
import HoptraceLab

/// The checks of `hoptrace doctor`. Every probe either reads state or works in a
/// private namespace it throws away: doctor never changes the machine.
public enum DoctorProbes {
    public static func all() -> [DoctorCheck] {
        [privileges(), pcap(), conntrack(), conntrackEvents(), iproute(), iptablesBackend(), nftTrace(), dropCounters(), dropReasons()]
    }

    static func privileges() -> DoctorCheck {
        PrivilegeCheck.check((try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap(ThreadCredentials.init(procStatus:)))
    }

    static func pcap() -> DoctorCheck {
        DoctorCheck(name: "libpcap", status: .ok, detail: EngineProbes.pcapVersion, required: true)
    }

    static func conntrack() -> DoctorCheck {
        switch EngineProbes.conntrackNetlink() {
        case .success:
            return DoctorCheck(name: "conntrack netlink", status: .ok, detail: "event socket opens", required: true)
        case .failure(let e):
            return DoctorCheck(
                name: "conntrack netlink", status: .fail, detail: e.description,
                fix: "run as root; the kernel needs nf_conntrack_netlink (modprobe nf_conntrack_netlink)",
                required: true)
        }
    }

    static func conntrackEvents() -> DoctorCheck {
        let name = "nf_conntrack_events"
        let path = "/proc/sys/net/netfilter/nf_conntrack_events"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return DoctorCheck(
                name: name, status: .warn, detail: "conntrack not active in this namespace yet",
                fix: "it is per namespace; check it where you watch: ip netns exec NS sysctl net.netfilter.nf_conntrack_events",
                required: false)
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if value == "0" {
            return DoctorCheck(
                name: name, status: .fail, detail: "0: the kernel sends no conntrack events",
                fix: "sysctl -w net.netfilter.nf_conntrack_events=1 (in the namespace you watch)", required: true)
        }
        return DoctorCheck(name: name, status: .ok, detail: value + (value == "2" ? " (sent while a listener exists)" : ""), required: true)
    }

    static func iproute() -> DoctorCheck {
        guard let r = try? CommandRunner().result(["ip", "-V"]), r.succeeded else {
            return DoctorCheck(name: "iproute2", status: .fail, detail: "'ip' not found",
                               fix: "apt-get install iproute2", required: true)
        }
        return DoctorCheck(name: "iproute2", status: .ok, detail: r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), required: true)
    }

    static func iptablesBackend() -> DoctorCheck {
        let name = "iptables backend"
        guard let r = try? CommandRunner().result(["iptables", "--version"]), r.succeeded else {
            return DoctorCheck(name: name, status: .warn, detail: "iptables not installed",
                               fix: "apt-get install iptables (the lab uses the articles' iptables commands)", required: false)
        }
        let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if version.contains("nf_tables") {
            return DoctorCheck(name: name, status: .ok, detail: "\(version): rules are visible to nftables tracing", required: false)
        }
        return DoctorCheck(name: name, status: .warn, detail: "\(version): legacy rules cannot be traced rule by rule",
                           fix: "update-alternatives --set iptables /usr/sbin/iptables-nft", required: false)
    }

    /// Installs a trace rule in a private namespace that dies with the `unshare` child.
    static func nftTrace() -> DoctorCheck {
        let name = "nftables tracing"
        let script = "add table ip hoptrace_doctor; "
            + "add chain ip hoptrace_doctor pre { type filter hook prerouting priority -350; }; "
            + "add rule ip hoptrace_doctor pre meta nftrace set 1"
        guard let r = try? CommandRunner().result(["unshare", "--net", "nft", script]) else {
            return DoctorCheck(name: name, status: .warn, detail: "nft or unshare not installed",
                               fix: "apt-get install nftables util-linux", required: false)
        }
        if r.succeeded { return DoctorCheck(name: name, status: .ok, detail: "meta nftrace accepted by the kernel", required: false) }
        return DoctorCheck(name: name, status: .warn, detail: r.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                           fix: "explain mode needs nf_tables with tracing (CONFIG_NF_TABLES)", required: false)
    }

    /// The per-namespace drop counters verdicts cite (`evidence: counted`).
    static func dropCounters() -> DoctorCheck {
        let name = "drop counters"
        let files = [KernelCounters.File.snmp, KernelCounters.File.netstat, KernelCounters.File.conntrackStat]
        let readable = files.filter { access($0, R_OK) == 0 }
        guard readable.contains(KernelCounters.File.snmp) else {
            return DoctorCheck(name: name, status: .warn, detail: "/proc/net/snmp not readable: inferred drops stay inferred",
                               fix: "mount /proc (procfs)", required: false)
        }
        let missing = files.filter { !readable.contains($0) }
        return DoctorCheck(name: name, status: .ok,
                           detail: "\(readable.joined(separator: ", ")) read per namespace: a drop they count is cited as the verdict's evidence"
                               + (missing.isEmpty ? "" : " (\(missing.joined(separator: ", ")) absent: conntrack not loaded)"),
                           required: false)
    }

    /// The kernel's drop reasons: made for real (an instance created and removed again), so an
    /// OK means `watch` will have them.
    static func dropReasons() -> DoctorCheck {
        let name = "drop reasons"
        do {
            let trace = try DropReasonTrace.open()
            let source = trace.source
            if let left = trace.close() {
                return DoctorCheck(name: name, status: .warn, detail: left, fix: "rmdir it under tracefs's instances/", required: false)
            }
            return DoctorCheck(name: name, status: .ok,
                               detail: "skb:kfree_skb reasons from \(source): shown beside the counters (machine-wide, not per flow)",
                               required: false)
        } catch {
            return DoctorCheck(name: name, status: .warn, detail: "\(error): verdicts cite the namespaces' counters only",
                               fix: "run as root with CAP_SYS_ADMIN on a kernel with tracefs (CONFIG_FTRACE, Linux 5.17+ for reasons)",
                               required: false)
        }
    }
}
