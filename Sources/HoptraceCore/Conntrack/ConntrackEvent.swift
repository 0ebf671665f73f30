/// One conntrack event as the kernel reports it: both tuples and the entry's state.
public struct ConntrackEvent: Sendable, Equatable {
    /// `existing`: an entry found by the table dump at start (a long-lived flow).
    public enum Kind: String, Sendable { case new, update, destroy, existing }

    public struct Tuple: Sendable, Equatable {
        public var src: IPAddress
        public var dst: IPAddress
        public var sport: UInt16?
        public var dport: UInt16?
        /// ICMP type, code, id (echo flows are keyed by id).
        public var icmp: (type: UInt8, code: UInt8, id: UInt16)?

        public init(src: IPAddress, dst: IPAddress, sport: UInt16? = nil, dport: UInt16? = nil,
                    icmp: (type: UInt8, code: UInt8, id: UInt16)? = nil) {
            self.src = src
            self.dst = dst
            self.sport = sport
            self.dport = dport
            self.icmp = icmp
        }

        public static func == (a: Tuple, b: Tuple) -> Bool {
            a.src == b.src && a.dst == b.dst && a.sport == b.sport && a.dport == b.dport
                && a.icmp?.type == b.icmp?.type && a.icmp?.code == b.icmp?.code && a.icmp?.id == b.icmp?.id
        }
    }

    public var kind: Kind
    public var proto: UInt8
    public var orig: Tuple
    public var reply: Tuple
    public var status: ConntrackStatus
    public var tcpState: UInt8?
    public var timeout: UInt32?
    public var mark: UInt32
    public var zone: UInt16
    public var id: UInt32
    /// Packet and byte counters per direction, when accounting is on (nf_conntrack_acct=1).
    public var counters: Counters?

    public struct Counters: Sendable, Equatable {
        public var origPackets: UInt64
        public var origBytes: UInt64
        public var replyPackets: UInt64
        public var replyBytes: UInt64
        public init(origPackets: UInt64, origBytes: UInt64, replyPackets: UInt64, replyBytes: UInt64) {
            self.origPackets = origPackets
            self.origBytes = origBytes
            self.replyPackets = replyPackets
            self.replyBytes = replyBytes
        }
    }

    public init(kind: Kind, proto: UInt8, orig: Tuple, reply: Tuple, status: ConntrackStatus, tcpState: UInt8? = nil,
                timeout: UInt32? = nil, mark: UInt32 = 0, zone: UInt16 = 0, id: UInt32 = 0) {
        self.kind = kind
        self.proto = proto
        self.orig = orig
        self.reply = reply
        self.status = status
        self.tcpState = tcpState
        self.timeout = timeout
        self.mark = mark
        self.zone = zone
        self.id = id
    }

    /// `status` as the kernel's word, the way libnetfilter_conntrack (ATTR_STATUS) and a
    /// recording hand it over.
    public init(kind: Kind, proto: UInt8, orig: Tuple, reply: Tuple, status: UInt32, tcpState: UInt8? = nil,
                timeout: UInt32? = nil, mark: UInt32 = 0, zone: UInt16 = 0, id: UInt32 = 0) {
        self.init(kind: kind, proto: proto, orig: orig, reply: reply, status: ConntrackStatus(rawValue: status),
                  tcpState: tcpState, timeout: timeout, mark: mark, zone: zone, id: id)
    }

    /// TCP conntrack states (linux/netfilter/nf_conntrack_tcp.h).
    public static let tcpStateNames = [
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
        "SYN_SENT2",
    ]

    public var stateName: String? { tcpState.map(Self.stateName) }

    static func stateName(_ state: UInt8) -> String {
        Int(state) < tcpStateNames.count ? tcpStateNames[Int(state)] : "STATE_\(state)"
    }
}

/// `conntrack -E` style lines.
public enum ConntrackText {
    /// The namespace's name is shown escaped (`TerminalText`): a recording may name it anything.
    public static func line(_ e: ConntrackEvent, netns: String?, time: String) -> String {
        var s = "\(time) \(netns.map(TerminalText.safe) ?? "-") conntrack [\(e.kind.rawValue.uppercased())] \(IPProtocol.conntrackName(e.proto)) \(e.proto)"
        if let t = e.timeout { s += " \(t)" }
        if let st = e.stateName { s += " \(st)" }
        s += " " + tuple(e.orig)
        if let c = e.counters { s += " packets=\(c.origPackets) bytes=\(c.origBytes)" }
        if !e.status.contains(.seenReply) { s += " [UNREPLIED]" }
        s += " " + tuple(e.reply, replyOf: e.orig)
        if let c = e.counters { s += " packets=\(c.replyPackets) bytes=\(c.replyBytes)" }
        if e.status.contains(.assured) { s += " [ASSURED]" }
        if e.mark != 0 { s += " mark=\(e.mark)" }
        if e.zone != 0 { s += " zone=\(e.zone)" }
        return s
    }

    static func tuple(_ t: ConntrackEvent.Tuple, replyOf orig: ConntrackEvent.Tuple? = nil) -> String {
        var s = "src=\(t.src) dst=\(t.dst)"
        if let icmp = t.icmp {
            s += " type=\(icmp.type) code=\(icmp.code) id=\(icmp.id)"
        } else if let sp = t.sport, let dp = t.dport {
            s += " sport=\(sp) dport=\(dp)"
        }
        return s
    }
}
