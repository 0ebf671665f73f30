/// A flow's 5-tuple as seen in one direction at one place. For ICMP/ICMPv6 echo the
/// echo id fills both port slots, so a request and its reply share keys after
/// `reversed()` — exactly how conntrack keys echo flows. Other ICMP and
/// port-less protocols use 0.
public struct FlowKey: Sendable, Hashable, CustomStringConvertible {
    // Addresses first: the small fields then share one word (48 bytes, not 56, in the index).
    public var src: IPAddress
    public var dst: IPAddress
    public var proto: UInt8
    public var sport: UInt16
    public var dport: UInt16

    public init(proto: UInt8, src: IPAddress, dst: IPAddress, sport: UInt16 = 0, dport: UInt16 = 0) {
        self.proto = proto
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
    }

    /// The key of the packets going the other way.
    public func reversed() -> FlowKey { FlowKey(proto: proto, src: dst, dst: src, sport: dport, dport: sport) }

    /// nil for non-IP frames (ARP) and packets without a transport.
    public init?(packet p: DecodedPacket) {
        guard let src = p.src, let dst = p.dst, let proto = p.proto else { return nil }
        var sport: UInt16 = 0, dport: UInt16 = 0
        switch p.transport {
        case .icmp(let type, _, let id, _) where type == 8 || type == 0:
            sport = id ?? 0
            dport = id ?? 0
        case .icmpv6(let type, _, let id, _) where type == 128 || type == 129:
            sport = id ?? 0
            dport = id ?? 0
        case .tcp(let s, let d, _, _, _, _), .udp(let s, let d):
            sport = s
            dport = d
        default:
            break
        }
        self.init(proto: proto, src: src, dst: dst, sport: sport, dport: dport)
    }

    /// One of a conntrack entry's tuples (conntrack keys ICMP echo by id).
    public init(tuple t: ConntrackEvent.Tuple, proto: UInt8) {
        let id = t.icmp?.id
        self.init(proto: proto, src: t.src, dst: t.dst, sport: id ?? t.sport ?? 0, dport: id ?? t.dport ?? 0)
    }

    /// The header an ICMP error quotes: the packet (as it was where the error was made)
    /// that the error reports on.
    public init(quoted q: DecodedPacket.Quoted) {
        self.init(proto: q.proto, src: q.src, dst: q.dst, sport: q.icmpID ?? q.sport ?? 0, dport: q.icmpID ?? q.dport ?? 0)
    }

    public var description: String {
        "\(IPProtocol.conntrackName(proto)) \(src):\(sport) > \(dst):\(dport)"
    }
}

extension FlowKey {
    /// Of a key and its reverse, the one whose source end sorts first: both directions
    /// of a flow share one entry in the correlator's key index.
    var canonical: FlowKey {
        let a = Self.rank(src), b = Self.rank(dst)
        if a < b || (a == b && sport <= dport) { return self }
        return reversed()
    }

    private static func rank(_ ip: IPAddress) -> (UInt8, UInt64, UInt64) {
        switch ip {
        case .v4(let a): (4, 0, UInt64(a.raw))
        case .v6(let a): (6, a.high, a.low)
        }
    }
}

/// Flow keys to the flows filed under them. `FlowTable` always files a key and its reverse
/// together (a flow is found from either direction), so one entry under the canonical key
/// serves both, and a flow is only ever filed under its own keys (`orig`, `reply`).
///
/// Open addressing with linear probing over 12 bytes a slot (a 31-bit hash with a bit
/// saying which of the flow's two keys the slot is for, and the box, unretained: every
/// filed box is held by the flow table, which unfiles it before letting it go). The key
/// itself is not stored: the flow in the slot has it. A `[FlowKey: Int]` took 56 bytes a
/// bucket, and its buckets were a tenth of the correlator's memory at 100k flows.
struct KeyIndex {
    private var hashes: [UInt32] = []
    private var boxes: [Unmanaged<FlowBox>?] = []
    /// Entries (each serves a key and its reverse).
    private(set) var count = 0

    subscript(key: FlowKey) -> FlowBox? {
        let c = key.canonical
        let (i, found) = slot(of: c, hash: Self.hash(c))
        return found ? boxes[i]?.takeUnretainedValue() : nil
    }

    /// Files `box` under its own keys (orig, and reply when it has one) and their reverses,
    /// in place of whichever flow had them. Only a flow's own keys: the slot holds no key,
    /// so one filed under a key the flow lacks could never be found, or unfiled.
    mutating func file(_ box: FlowBox) {
        let orig = box.flow.orig.canonical, reply = box.flow.reply?.canonical
        file(box, under: orig, which: 0)
        if let reply, reply != orig { file(box, under: reply, which: 1) }
    }

    private mutating func file(_ box: FlowBox, under c: FlowKey, which: UInt32) {
        if (count + 1) * 4 > boxes.count * 3 { grow() }
        let h = Self.hash(c)
        let (i, found) = slot(of: c, hash: h)
        hashes[i] = h << 1 | which
        boxes[i] = Unmanaged.passUnretained(box)
        if !found { count += 1 }
    }

    /// Unfiles `key` when `box` is the flow filed under it.
    mutating func remove(_ key: FlowKey, of box: FlowBox) {
        let c = key.canonical
        let (at, found) = slot(of: c, hash: Self.hash(c))
        guard found, boxes[at]?.toOpaque() == Unmanaged.passUnretained(box).toOpaque() else { return }
        count -= 1
        // Backward-shift deletion: later entries of the run move up into the hole, so no
        // probe stops short at it (no tombstones to pile up under churn).
        let mask = boxes.count - 1
        var hole = at, j = at
        while true {
            j = (j + 1) & mask
            guard let b = boxes[j] else { break }
            let home = Int(hashes[j] >> 1) & mask
            // An entry whose home lies cyclically in (hole, j] must stay where it is.
            let stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if stays { continue }
            hashes[hole] = hashes[j]
            boxes[hole] = b
            hole = j
        }
        boxes[hole] = nil
    }

    /// Where `c` is filed, or the empty slot where it would go.
    private func slot(of c: FlowKey, hash h: UInt32) -> (Int, Bool) {
        guard !boxes.isEmpty else { return (0, false) }
        let mask = boxes.count - 1
        var i = Int(h) & mask
        while let b = boxes[i] {
            if hashes[i] >> 1 == h {
                // The key the slot was filed under (the flow's orig or reply), compared alone.
                let filed = b._withUnsafeGuaranteedRef { hashes[i] & 1 == 0 ? $0.flow.orig.canonical : $0.flow.reply?.canonical }
                if filed == c { return (i, true) }
            }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    private mutating func grow() {
        let oldHashes = hashes, oldBoxes = boxes
        let size = max(16, boxes.count * 2)
        hashes = Array(repeating: 0, count: size)
        boxes = Array(repeating: nil, count: size)
        let mask = size - 1
        for (h, b) in zip(oldHashes, oldBoxes) {
            guard let b else { continue }
            var i = Int(h >> 1) & mask
            while boxes[i] != nil { i = (i + 1) & mask }
            hashes[i] = h
            boxes[i] = b
        }
    }

    /// 31 bits of the key's hash (the slot's last bit says which key it is for).
    private static func hash(_ c: FlowKey) -> UInt32 { UInt32(truncatingIfNeeded: c.hashValue) & 0x7FFF_FFFF }
}
