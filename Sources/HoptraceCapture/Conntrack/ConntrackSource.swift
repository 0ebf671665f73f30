import CHoptraceShims
import CNetfilterConntrack
import Glibc
import HoptraceCore

/// A conntrack event subscription (libnetfilter_conntrack) in one namespace.
/// Its descriptor joins the capture loop's poll; `drain` reads what is queued.
public final class ConntrackSource: @unchecked Sendable {
    /// Where it listens; nil is hoptrace's own namespace.
    let namespace: NetworkNamespace?
    /// The namespace as the user named it, on every event.
    public let netns: String?
    let handle: OpaquePointer
    public let fd: Int32
    /// Times the kernel said ENOBUFS: events were lost because we read too slowly.
    public private(set) var overruns = 0

    /// Subscribes inside `namespace` (on a thread that entered it), with a 64 MiB
    /// receive buffer: `conntrack -E`'s default loses events under a flood.
    public static func open(in namespace: NetworkNamespace?, receiveBuffer: Int32 = 64 << 20) throws -> ConntrackSource {
        try NetnsThread.run(in: namespace) {
            let source = try ConntrackSource(namespace: namespace, receiveBuffer: receiveBuffer)
            let dump = ConntrackSource.dumpTable()
            source.existing = dump.events
            source.existingCut = dump.cut
            return source
        }
    }

    /// Entries that were already in the table when the subscription started, so
    /// long-lived flows appear; taken after subscribing, so nothing falls between.
    public private(set) var existing: [ConntrackEvent] = []

    /// The dump's entries, handed over once (the source keeps no copy).
    func takeExisting() -> [ConntrackEvent] {
        defer { existing = [] }
        return existing
    }
    /// The dump stopped at `dumpLimit` entries: the table held more (the others appear as they change).
    public private(set) var existingCut = false
    /// Entries read from one dump at most: a full table (262,144 entries by default, millions on
    /// big hosts) must not stall the start or hold its copy in memory.
    public static let dumpLimit = 8192

    /// Set by ENOBUFS; cleared by the next resynchronisation.
    public private(set) var resyncPending = false
    private var lastResync = -Double.infinity

    /// After ENOBUFS the events in between are gone for good: a fresh dump (taken in
    /// the source's namespace) tells what the table holds now, so no flow is silently
    /// missed. At most once a second: under a sustained flood, dumping on every
    /// overrun would cost more than the events it recovers.
    public func resynchroniseIfDue(now: Double) -> [ConntrackEvent]? {
        guard resyncPending, now - lastResync >= 1 else { return nil }
        resyncPending = false
        lastResync = now
        return (try? NetnsThread.run(in: namespace) { ConntrackSource.dumpTable().events }) ?? []
    }

    /// The table's entries, at most `dumpLimit` (`cut`: it held more).
    static func dumpTable() -> (events: [ConntrackEvent], cut: Bool) {
        guard let h = nfct_open(UInt8(CONNTRACK), 0) else { return ([], false) }
        defer { nfct_close(h) }
        var box = DumpBox()
        withUnsafeMutablePointer(to: &box) { ptr in
            nfct_callback_register(h, NFCT_T_ALL, { _, ct, data in
                guard let ct, let data else { return Int32(NFCT_CB_CONTINUE) }
                let box = data.assumingMemoryBound(to: DumpBox.self)
                // Stopping here ends the dump; the handle (and what the kernel still had) is closed with it.
                guard box.pointee.events.count < ConntrackSource.dumpLimit else {
                    box.pointee.cut = true
                    return Int32(NFCT_CB_STOP)
                }
                if var e = ConntrackSource.event(NFCT_T_NEW, ct) {
                    e.kind = .existing
                    box.pointee.events.append(e)
                }
                return Int32(NFCT_CB_CONTINUE)
            }, ptr)
            var family = UInt32(AF_UNSPEC)  // IPv4 and IPv6 entries
            _ = nfct_query(h, NFCT_Q_DUMP, &family)
        }
        return (box.events, box.cut)
    }

    private init(namespace: NetworkNamespace?, receiveBuffer: Int32) throws {
        self.namespace = namespace
        self.netns = namespace?.displayName
        let groups = UInt32(NF_NETLINK_CONNTRACK_NEW) | UInt32(NF_NETLINK_CONNTRACK_UPDATE)
            | UInt32(NF_NETLINK_CONNTRACK_DESTROY)
        guard let h = nfct_open(UInt8(CONNTRACK), groups) else {
            throw CaptureError.pcap(point: namespace?.displayName ?? "(current namespace)", function: "nfct_open",
                                    message: String(cString: strerror(errno)) + (errno == EPERM
                                        ? " (conntrack events need CAP_NET_ADMIN: run with sudo, or --no-conntrack; see 'hoptrace doctor')"
                                        : " (conntrack events need the nf_conntrack_netlink module)"))
        }
        handle = h
        fd = nfct_fd(h)
        var size = receiveBuffer
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = CHoptraceShims_set_nonblocking(fd)
    }

    /// Reads the queued events, at most `limit` of them (the rest stay for the next call: the
    /// descriptor stays readable, so the loop's poll returns at once). Unbounded, a flood of
    /// events would starve capture and the stop signal. Returns false when the socket failed for good.
    ///
    /// `nfct_catch` loops over recv itself until the socket is empty; the callback returning
    /// NFCT_CB_STOP is what ends it early. The kernel sends each conntrack event in its own
    /// datagram, so stopping there leaves nothing half-read.
    public func drain(limit: Int = 4096, _ handler: (ConntrackEvent) -> Void) -> Bool {
        withoutActuallyEscaping(handler) { handler in
            var box = EventBox(handler: handler, limit: max(1, limit))
            return withUnsafeMutablePointer(to: &box) { ptr -> Bool in
                nfct_callback_register(handle, NFCT_T_ALL, { type, ct, data in
                    guard let ct, let data else { return Int32(NFCT_CB_CONTINUE) }
                    let box = data.assumingMemoryBound(to: EventBox.self)
                    if let event = ConntrackSource.event(type, ct) { box.pointee.handler(event) }
                    box.pointee.count += 1
                    return Int32(box.pointee.count >= box.pointee.limit ? NFCT_CB_STOP : NFCT_CB_CONTINUE)
                }, ptr)
                defer { nfct_callback_unregister(handle) }
                while ptr.pointee.count < ptr.pointee.limit {
                    if nfct_catch(handle) >= 0 { continue }
                    switch errno {
                    case EAGAIN, EINTR: return true
                    case ENOBUFS:
                        overruns += 1
                        resyncPending = true
                        continue
                    default: return false
                    }
                }
                return true
            }
        }
    }

    static func event(_ type: nf_conntrack_msg_type, _ ct: OpaquePointer) -> ConntrackEvent? {
        let kind: ConntrackEvent.Kind
        switch type {
        case NFCT_T_NEW: kind = .new
        case NFCT_T_UPDATE: kind = .update
        case NFCT_T_DESTROY: kind = .destroy
        default: return nil
        }
        let family = nfct_get_attr_u8(ct, ATTR_L3PROTO)
        guard family == UInt8(AF_INET) || family == UInt8(AF_INET6) else { return nil }
        let v6 = family == UInt8(AF_INET6)
        func has(_ a: nf_conntrack_attr) -> Bool { nfct_attr_is_set(ct, a) > 0 }
        func u16(_ a: nf_conntrack_attr) -> UInt16? { has(a) ? UInt16(bigEndian: nfct_get_attr_u16(ct, a)) : nil }
        func addr(_ a4: nf_conntrack_attr, _ a6: nf_conntrack_attr) -> IPAddress {
            guard v6 else { return .v4(IPv4Address(UInt32(bigEndian: nfct_get_attr_u32(ct, a4)))) }
            // 16 bytes in network order.
            guard let p = nfct_get_attr(ct, a6) else { return .v6(IPv6Address(high: 0, low: 0)) }
            let b = p.assumingMemoryBound(to: UInt8.self)
            func half(_ from: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(b[from + $1]) } }
            return .v6(IPv6Address(high: half(0), low: half(8)))
        }
        let proto = nfct_get_attr_u8(ct, ATTR_L4PROTO)
        var orig = ConntrackEvent.Tuple(src: addr(ATTR_IPV4_SRC, ATTR_IPV6_SRC), dst: addr(ATTR_IPV4_DST, ATTR_IPV6_DST))
        var reply = ConntrackEvent.Tuple(src: addr(ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC), dst: addr(ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST))
        if proto == IPProtocol.icmp || proto == IPProtocol.icmpv6, has(ATTR_ICMP_TYPE) {
            let type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE), code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE)
            let id = UInt16(bigEndian: nfct_get_attr_u16(ct, ATTR_ICMP_ID))
            orig.icmp = (type, code, id)
            // conntrack keeps one ICMP id; a query's reply is its answer type (ICMP echo
            // 8 → 0, timestamp 13 → 14, info 15 → 16, address mask 17 → 18; ICMPv6 echo
            // 128 → 129, node information 139 → 140), as the kernel's invert tables say.
            let answers: [UInt8: UInt8] = proto == IPProtocol.icmpv6 ? [128: 129, 139: 140] : [8: 0, 13: 14, 15: 16, 17: 18]
            let replyType = answers[type] ?? type
            reply.icmp = (replyType, code, id)
        } else {
            orig.sport = u16(ATTR_PORT_SRC)
            orig.dport = u16(ATTR_PORT_DST)
            reply.sport = u16(ATTR_REPL_PORT_SRC)
            reply.dport = u16(ATTR_REPL_PORT_DST)
        }
        var event = ConntrackEvent(
            kind: kind, proto: proto, orig: orig, reply: reply,
            status: has(ATTR_STATUS) ? nfct_get_attr_u32(ct, ATTR_STATUS) : 0,
            tcpState: proto == IPProtocol.tcp && has(ATTR_TCP_STATE) ? nfct_get_attr_u8(ct, ATTR_TCP_STATE) : nil,
            timeout: has(ATTR_TIMEOUT) ? nfct_get_attr_u32(ct, ATTR_TIMEOUT) : nil,
            mark: has(ATTR_MARK) ? nfct_get_attr_u32(ct, ATTR_MARK) : 0,
            zone: has(ATTR_ZONE) ? nfct_get_attr_u16(ct, ATTR_ZONE) : 0,
            id: has(ATTR_ID) ? nfct_get_attr_u32(ct, ATTR_ID) : 0)
        if has(ATTR_ORIG_COUNTER_PACKETS) {
            event.counters = .init(
                origPackets: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS), origBytes: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES),
                replyPackets: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS), replyBytes: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES))
        }
        return event
    }

    deinit { nfct_close(handle) }
}

private struct EventBox {
    let handler: (ConntrackEvent) -> Void
    let limit: Int
    var count = 0
}

private struct DumpBox {
    var events: [ConntrackEvent] = []
    var cut = false
}
