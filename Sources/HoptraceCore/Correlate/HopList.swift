/// A journey's hops: a value like `[Hop]`, stored as `PackedHop`s (24 bytes each, not 32)
/// behind a 16-byte header while every hop packs, else as whole hops.
///
/// Why: every flow keeps its latest journeys, each with a hop per capture point, and at
/// 100k flows the hop arrays were the correlator's second-largest part. Five packed hops
/// and their header fit malloc's 160-byte size, where an Array of five `Hop`s takes 208.
/// Copy-on-write like an Array: `storage` is copied before a change while shared.
public struct HopList: RandomAccessCollection, MutableCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral, Equatable, @unchecked Sendable {
    /// nil while empty with no room reserved; a `PackedHops`, or a `WholeHops` once a hop
    /// did not pack. One reference either way, so a `Journey` stays 96 bytes.
    private var storage: AnyObject?

    public init() {}
    public init(arrayLiteral elements: Hop...) { self.init(elements) }
    public init<S: Sequence>(_ hops: S) where S.Element == Hop {
        let all = Array(hops)
        guard let first = all.first else { return }
        if let packed = PackedHops.make(capacity: all.count, base: first.time, from: all) {
            storage = packed
        } else {
            storage = WholeHops(all)
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        guard let s = storage else { return 0 }
        if let p = packed(s) { return Int(p.header.count) }
        return whole(s).hops.count
    }
    public var count: Int { endIndex }
    public var isEmpty: Bool { endIndex == 0 }
    public func index(after i: Int) -> Int { i + 1 }
    public func index(before i: Int) -> Int { i - 1 }

    public subscript(i: Int) -> Hop {
        get {
            precondition(i >= 0 && i < count, "hop index out of range")
            if let p = packed(storage!) { return p.withUnsafeMutablePointerToElements { $0[i] }.hop(base: p.header.base) }
            return whole(storage!).hops[i]
        }
        set {
            precondition(i >= 0 && i < count, "hop index out of range")
            makeUnique()
            if let p = packed(storage!) {
                if let h = PackedHop(newValue, base: p.header.base) {
                    p.withUnsafeMutablePointerToElements { $0[i] = h }
                    return
                }
                unpack()
            }
            whole(storage!).hops[i] = newValue
        }
    }

    /// The point hop `i` was seen at (cheaper than `self[i].point`: the hop is not made).
    public func point(at i: Int) -> CapturePoint {
        precondition(i >= 0 && i < count, "hop index out of range")
        if let p = packed(storage!) { return p.withUnsafeMutablePointerToElements { $0[i] }.capturePoint }
        return whole(storage!).hops[i].point
    }

    /// When hop `i` was seen (cheaper than `self[i].time`).
    public func time(at i: Int) -> EventTime {
        precondition(i >= 0 && i < count, "hop index out of range")
        if let p = packed(storage!) { return p.withUnsafeMutablePointerToElements { $0[i] }.time(base: p.header.base) }
        return whole(storage!).hops[i].time
    }

    /// Whether a hop was seen at `point`.
    public func contains(point: CapturePoint) -> Bool {
        for i in indices where self.point(at: i) == point { return true }
        return false
    }

    /// Hops this list holds without growing.
    public var capacity: Int {
        guard let s = storage else { return 0 }
        if let p = packed(s) { return Int(p.header.capacity) }
        return whole(s).hops.capacity
    }

    public mutating func append(_ hop: Hop) {
        guard storage != nil else {
            storage = PackedHops.make(capacity: 1, base: hop.time, from: [hop]) ?? WholeHops([hop])
            return
        }
        // Asked before any other reference to the buffer is taken: one would make it look shared.
        let unique = isKnownUniquelyReferenced(&storage)
        if let p = packed(storage!) {
            let n = Int(p.header.count), room = Int(p.header.capacity)
            let base = n == 0 ? hop.time : p.header.base
            guard let h = PackedHop(hop, base: base) else {
                unpack()
                whole(storage!).append(hop)
                return
            }
            // Room grows by doubling, as an Array's would.
            if n == room || !unique { regrow(capacity: n == room ? Swift.max(1, 2 * n) : room) }
            let q = packed(storage!)!
            q.header.base = base
            q.withUnsafeMutablePointerToElements { ($0 + n).initialize(to: h) }
            q.header.count += 1
            return
        }
        if !unique { storage = WholeHops(whole(storage!).hops) }
        whole(storage!).append(hop)
    }

    public mutating func reserveCapacity(_ n: Int) {
        guard n > capacity else { return }
        guard let s = storage else {
            storage = PackedHops.make(capacity: n, base: EventTime(micros: 0), from: [])
            return
        }
        if packed(s) != nil {
            regrow(capacity: n)
        } else {
            makeUnique()
            whole(storage!).hops.reserveCapacity(n)
        }
    }

    /// Rare (merging flows, reordering a sender's hop): made afresh from whole hops.
    public mutating func replaceSubrange<C: Collection>(_ range: Range<Int>, with new: C) where C.Element == Hop {
        var all = Array(self)
        all.replaceSubrange(range, with: new)
        let room = capacity
        self = HopList(all)
        if room > count { reserveCapacity(room) }
    }

    public static func == (a: HopList, b: HopList) -> Bool { a.elementsEqual(b) }

    /// Which buffer holds the hops (tests: whether the list packs, and is changed in place).
    var isPacked: Bool { storage.map { packed($0) != nil } ?? true }
    var bufferIdentity: ObjectIdentifier? { storage.map(ObjectIdentifier.init) }

    private func packed(_ s: AnyObject) -> PackedHops? {
        ObjectIdentifier(type(of: s)) == ObjectIdentifier(PackedHops.self) ? unsafeDowncast(s, to: PackedHops.self) : nil
    }
    private func whole(_ s: AnyObject) -> WholeHops { unsafeDowncast(s, to: WholeHops.self) }

    /// Copies the buffer when another list shares it.
    private mutating func makeUnique() {
        guard storage != nil, !isKnownUniquelyReferenced(&storage) else { return }
        if let p = packed(storage!) {
            regrow(capacity: Int(p.header.capacity))
        } else {
            storage = WholeHops(whole(storage!).hops)
        }
    }

    /// A packed buffer of `capacity` holding these hops (never shared afterwards).
    private mutating func regrow(capacity: Int) {
        let p = packed(storage!)!
        let n = Int(p.header.count)
        let q = PackedHops.make(capacity: Swift.max(capacity, n), base: p.header.base, from: [])!
        p.withUnsafeMutablePointerToElements { from in
            q.withUnsafeMutablePointerToElements { $0.initialize(from: from, count: n) }
        }
        q.header.count = Int32(n)
        storage = q
    }

    /// Whole hops from here on: one did not pack.
    private mutating func unpack() {
        var all = Array(self)
        all.reserveCapacity(capacity)
        storage = WholeHops(all)
    }
}

/// The packed hops' buffer: `count` of `capacity` slots, times relative to `base`.
final class PackedHops: ManagedBuffer<PackedHops.Header, PackedHop> {
    struct Header {
        var base: EventTime
        var count: Int32
        var capacity: Int32
    }

    /// nil when a hop does not pack against `base`.
    static func make(capacity: Int, base: EventTime, from hops: [Hop]) -> PackedHops? {
        let capacity = max(capacity, hops.count, 1)
        precondition(capacity <= Int32.max, "hop list too large")
        let s = unsafeDowncast(create(minimumCapacity: capacity) { _ in
            Header(base: base, count: 0, capacity: Int32(capacity))
        }, to: PackedHops.self)
        // Packed straight into the buffer: one that does not pack leaves it unused.
        let packed = s.withUnsafeMutablePointerToElements { e in
            for (k, h) in hops.enumerated() {
                guard let p = PackedHop(h, base: base) else { return false }
                (e + k).initialize(to: p)
            }
            return true
        }
        guard packed else { return nil }
        s.header.count = Int32(hops.count)
        return s
    }

    // PackedHop holds no reference: nothing to deinitialize.
}

/// Hops that did not all pack (IPv6, a delta of half a second or more), kept whole.
final class WholeHops {
    var hops: [Hop]
    init(_ hops: [Hop]) { self.hops = hops }

    /// A packet's IPv6 hops hold one overflow between them.
    func append(_ hop: Hop) {
        var hop = hop
        if let last = hops.last { hop.shareOverflow(with: last) }
        hops.append(hop)
    }
}
