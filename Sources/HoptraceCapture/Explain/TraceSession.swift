import CHoptraceShims
import Foundation
import Glibc
import HoptraceCore

/// nftables tracing in one namespace: hoptrace's own table `inet hoptrace_<pid>` marks the
/// selected packets with `meta nftrace set 1` before conntrack sees them (prerouting and output,
/// priority -301), and a NETLINK_NETFILTER socket on NFNLGRP_NFTRACE, opened inside the
/// namespace, receives the kernel's trace events. `fd` joins the event loop's poll; `drain`
/// reads what is queued and updates `paths`.
///
/// Lifetime: `open` subscribes, deletes the `hoptrace_<pid>` tables of runs that are gone
/// (`TraceTableSweep`; nothing else, and one nft refuses to delete is kept and listed, not an
/// error), then installs the table; `close()` (also from deinit, and `TraceSessions.removeAll`)
/// deletes the table. After SIGKILL the next start removes it. A closed session stays closed
/// (`setSelectors` throws): tracing again means opening a new one.
public final class TraceSession: @unchecked Sendable {
    /// Where it traces; nil is hoptrace's own namespace.
    public let namespace: NetworkNamespace?
    /// The namespace as the user named it (errors, rule paths).
    public var netns: String? { namespace?.displayName }
    public let pid: Int32
    public let fd: Int32
    public private(set) var selectors: [TraceSelector]
    /// The namespace's ruleset: dumped (`nft -j list ruleset`) at the start and again when a trace
    /// names a rule the dump lacks; a chain's rule texts read (`nft -a -s list chain`) when a
    /// trace first needs one of them, and forgotten with the dump they were read for.
    public private(set) var ruleset: NFTRuleset
    /// Tables of runs that were gone, found when this session started: removed, or not (and why).
    public let stale: [StaleTraceTable]
    /// The pids of the stale tables removed when this session started.
    public var removedStale: [Int32] { stale.filter(\.removed).map(\.pid) }
    /// The start time of process `pid` (`ProcessStat`), recorded in the table's comment.
    public let startTime: UInt64?
    /// Times the kernel said ENOBUFS: trace events were lost.
    public private(set) var overruns = 0
    /// Messages that were not well-formed traces.
    public private(set) var malformed = 0
    private var builder: RulePathBuilder
    private var installed = false
    private var closed = false

    /// Every packet's rule path so far (bounded; oldest first).
    public var paths: [RulePath] { builder.paths }

    public var tableName: String { TraceTable.name(pid: pid) }

    /// Starts tracing in `netns` (the user's argument, a name or a path: `NetworkNamespace`; nil = current namespace).
    public static func open(netns: String?, selectors: [TraceSelector], pid: Int32 = getpid(),
                            receiveBuffer: Int32 = 4 << 20) throws -> TraceSession {
        let namespace = netns.map { NetworkNamespace($0) }
        let fd = try NetnsThread.run(in: namespace) { try TraceSession.subscribe(netns: netns, receiveBuffer: receiveBuffer) }
        let stale: [StaleTraceTable]
        do {
            stale = try TraceTableSweep.sweep(in: namespace, ownPID: pid, ownTableLive: true)
        } catch {
            Glibc.close(fd)
            throw error
        }
        // From here the session owns fd: its close() (or deinit) closes it, exactly once.
        let session = TraceSession(namespace: namespace, pid: pid, fd: fd, selectors: selectors, stale: stale,
                                   startTime: ProcessStat.current(pid: pid)?.startTime)
        do {
            try session.install()
        } catch {
            session.close()
            // The install replaces a table of this name unless nft may not touch it: then it is
            // not this run's (pid reuse) and in the way, which deserves its own sentence.
            if let e = error as? ExplainError, case .nft(_, _, let message) = e, NFTMessage.isPermissionDenied(message),
               TraceTableSweep.hasTable(session.tableName, in: namespace) {
                throw ExplainError.tableInTheWay(netns: netns, table: "inet " + session.tableName, reason: NFTMessage.reason(message))
            }
            throw error
        }
        session.ruleset = (try? TraceSession.dumpRuleset(in: namespace)) ?? NFTRuleset()
        return session
    }

    private init(namespace: NetworkNamespace?, pid: Int32, fd: Int32, selectors: [TraceSelector],
                 stale: [StaleTraceTable], startTime: UInt64?) {
        self.namespace = namespace
        self.pid = pid
        self.fd = fd
        self.selectors = selectors
        self.stale = stale
        self.startTime = startTime
        self.ruleset = NFTRuleset()
        self.builder = RulePathBuilder(netns: namespace?.displayName)
    }

    /// True while this session's table is in the kernel: installed and not yet closed.
    public var isInstalled: Bool { installed && !closed }

    /// Replaces what is traced (one atomic nft transaction). A closed session refuses: its
    /// socket is gone, and a table installed now would never be removed.
    public func setSelectors(_ selectors: [TraceSelector]) throws {
        guard !closed else { throw ExplainError.closed(netns: netns, table: tableName) }
        self.selectors = selectors
        try install()
    }

    private func install() throws {
        let r = try NamespaceCommand.run(["nft", "-f", "-"], in: namespace,
                                         stdin: TraceTable.installScript(pid: pid, startTime: startTime, selectors: selectors))
        guard r.status == 0 else { throw ExplainError.nft(netns: netns, action: "install \(tableName)", message: r.stderr) }
        installed = true
    }

    /// Dumps the ruleset again (rules added since); rule texts are read anew as traces need them.
    public func refreshRuleset() throws {
        ruleset = try Self.dumpRuleset(in: namespace)
    }

    /// Reads the rule texts of the chain `e` reports a rule of, the first time since the dump.
    /// Here, not at the dump: most chains never see a traced packet, and a big ruleset has
    /// thousands (kube-proxy's), each an nft run. A chain nft cannot list keeps no texts (its
    /// steps show handle and verdict) until the next dump.
    private func loadRuleTexts(for e: TraceEvent) {
        let namespace = self.namespace
        ruleset.loadRuleTexts(for: e) { chain in try? Self.listChain(chain, in: namespace) }
    }

    /// Reads the queued trace messages, at most `limit` datagrams (the rest stay for the next
    /// call: the descriptor stays readable, so the loop's poll returns at once; a flooded traced
    /// flow must not starve capture or the stop signal), feeds the rule paths, and returns the
    /// events in order. `now` stamps new paths (the caller's clock). Never blocks.
    @discardableResult
    public func drain(now: EventTime? = nil, limit: Int = 256) -> [TraceEvent] {
        guard !closed else { return [] }
        var all: [TraceEvent] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var refreshed = false
        var reads = 0
        while reads < limit {
            reads += 1
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ENOBUFS {
                    overruns += 1
                    continue
                }
                break
            }
            if n == 0 { break }
            let (events, skipped) = TraceEvent.parseAll(Array(buffer[0..<n]))
            malformed += skipped
            for e in events {
                if !refreshed, RulePathBuilder.needsRuleset(e, ruleset) {
                    refreshed = true
                    try? refreshRuleset()
                }
                loadRuleTexts(for: e)
                builder.add(e, ruleset: ruleset, time: now)
            }
            all += events
        }
        return all
    }

    /// Removes the table and closes the socket. Idempotent; errors are returned, not thrown,
    /// because exit paths must go on.
    @discardableResult
    public func close() -> ExplainError? {
        guard !closed else { return nil }
        closed = true
        Glibc.close(fd)
        guard installed else { return nil }
        installed = false
        do {
            let r = try NamespaceCommand.run(["nft", "-f", "-"], in: namespace, stdin: TraceTable.removeScript(pid: pid))
            return r.status == 0 ? nil : .nft(netns: netns, action: "delete \(tableName)", message: r.stderr)
        } catch let e as ExplainError {
            return e
        } catch {
            return .nft(netns: netns, action: "delete \(tableName)", message: "\(error)")
        }
    }

    deinit { close() }

    // MARK: - kernel and nft

    /// NETLINK_NETFILTER socket bound to NFNLGRP_NFTRACE, non-blocking, in the calling thread's namespace.
    static func subscribe(netns: String?, receiveBuffer: Int32) throws -> Int32 {
        let netlinkNetfilter: Int32 = 12, solNetlink: Int32 = 270, addMembership: Int32 = 1, nfnlgrpNFTrace: Int32 = 9
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkNetfilter)
        guard fd >= 0 else { throw ExplainError.socket(netns: netns, function: "socket(NETLINK_NETFILTER)", errno: errno) }
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
        // (linux/netlink.h is not part of the Glibc module): 12 bytes, the kernel picks the port id.
        var address: (UInt16, UInt16, UInt32, UInt32) = (UInt16(AF_NETLINK), 0, 0, 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 12) }
        }
        guard bound == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ExplainError.socket(netns: netns, function: "bind(netlink)", errno: e)
        }
        var group = nfnlgrpNFTrace
        guard setsockopt(fd, solNetlink, addMembership, &group, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ExplainError.socket(netns: netns, function: "setsockopt(NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTRACE)", errno: e)
        }
        var size = receiveBuffer
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        _ = CHoptraceShims_set_nonblocking(fd)
        return fd
    }

    /// `nft -j list ruleset` in the namespace: tables, chains, rules by handle, sets; no rule texts yet.
    public static func dumpRuleset(in namespace: NetworkNamespace?) throws -> NFTRuleset {
        try NamespaceCommand.nftRuleset(["list", "ruleset"], in: namespace, action: "list the ruleset")
    }

    /// `nft -a -s list chain FAMILY TABLE CHAIN` in the namespace; nil when its names cannot be
    /// put on nft's command line (`NFTListing.listChainCommand`).
    static func listChain(_ chain: NFTRuleset.Chain, in namespace: NetworkNamespace?) throws -> String? {
        guard let argv = NFTListing.listChainCommand(family: chain.family, table: chain.table, chain: chain.name) else { return nil }
        let r = try NamespaceCommand.run(argv, in: namespace)
        guard r.status == 0 else {
            throw ExplainError.nft(netns: namespace?.displayName, action: "list chain \(chain.family) \(chain.table) \(chain.name)", message: r.stderr)
        }
        return r.stdout
    }
}

/// The trace sessions of every watched namespace; `removeAll()` is what the executable's exit
/// paths call (normal exit, errors, SIGINT/SIGTERM from the loop's signal fd).
public final class TraceSessions: @unchecked Sendable {
    public private(set) var sessions: [TraceSession] = []

    public init() {}

    /// Opens one session per namespace; on failure, those already open are closed.
    public static func open(netns: [String?], selectors: [TraceSelector]) throws -> TraceSessions {
        let group = TraceSessions()
        do {
            for ns in netns { group.sessions.append(try TraceSession.open(netns: ns, selectors: selectors)) }
        } catch {
            group.removeAll()
            throw error
        }
        return group
    }

    public func add(_ s: TraceSession) { sessions.append(s) }

    /// Every session's descriptor, for poll.
    public var fds: [Int32] { sessions.map(\.fd) }

    public func setSelectors(_ selectors: [TraceSelector]) throws {
        for s in sessions { try s.setSelectors(selectors) }
    }

    /// All rule paths of all namespaces.
    public var paths: [RulePath] { sessions.flatMap(\.paths) }

    /// Removes every table; returns the failures (exit paths report them and go on).
    @discardableResult
    public func removeAll() -> [ExplainError] {
        let errors = sessions.compactMap { $0.close() }
        sessions.removeAll()
        return errors
    }

    deinit { removeAll() }
}
