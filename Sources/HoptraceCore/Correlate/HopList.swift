/// A journey's hops: a value like `[Hop]`, stored as `PackedHop`s (24 bytes each, not 32)
/// behind a 16-byte header while every hop packs, else as whole hops.
///
/// Why: every flow keeps its latest journeys, each with a hop per capture point, and at
/// 100k flows the hop arrays were the correlator's second-largest part. Five packed hops
/// and their header fit malloc's 160-byte size, where an Array of five `Hop`s takes 208.
/// Copy-on-write like an Array: the buffer is copied before a change while shared (hence
/// Sendable as a value).
public struct HopList: RandomAccessCollection, MutableCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral, Equatable, @unchecked Sendable {
    /// nil while empty with no room reserved. An enum of two references is one word (the
    /// case sits in the pointer's spare bits), so a `Journey` stays 96 bytes, and telling
    /// the cases apart costs a bit test, not a look at the object's class.
    private var storage: Storage?

    private enum Storage {
        case packed(PackedHops)
        /// Once a hop did not pack.
        case whole(WholeHops)
    }

    public init() {}
    public init(arrayLiteral elements: Hop...) { self.init(elements) }
    public init<S: Sequence>(_ hops: S) where S.Element == Hop { self.init(Array(hops), capacity: 0) }

    /// With room for `capacity` hops (a journey's path) from the start. A collection, not any
    /// sequence: packed where it lies (a journey's first hop needs no Array on the way).
    init(_ hops: some Collection<Hop>, capacity: Int) {
        guard let first = hops.first else {
            if capacity > 0 { storage = .packed(PackedHops.make(capacity: capacity, base: EventTime(micros: 0), from: EmptyCollection())!) }
            return
        }
        if let packed = PackedHops.make(capacity: Swift.max(capacity, hops.count), base: first.time, from: hops) {
            storage = .packed(packed)
        } else {
            storage = .whole(WholeHops(Array(hops)))
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .packed(let p)?: Int(p.header.count)
        case .whole(let w)?: w.hops.count
        case nil: 0
        }
    }
    public var count: Int { endIndex }
    public var isEmpty: Bool { endIndex == 0 }
    public func index(after i: Int) -> Int { i + 1 }
    public func index(before i: Int) -> Int { i - 1 }

    public subscript(i: Int) -> Hop {
        get {
            precondition(i >= 0 && i < count, "hop index out of range")
            switch storage! {
            case .packed(let p): return p.withUnsafeMutablePointerToElements { $0[i] }.hop(base: p.header.base)
            case .whole(let w): return w.hops[i]
            }
        }
        set {
            precondition(i >= 0 && i < count, "hop index out of range")
            makeUnique()
            if case .packed(let p)? = storage {
                if let h = PackedHop(newValue, base: p.header.base) {
                    p.withUnsafeMutablePointerToElements { $0[i] = h }
                    return
                }
                unpack()
            }
            if case .whole(let w)? = storage { w.hops[i] = newValue }
        }
    }

    /// The point hop `i` was seen at (cheaper than `self[i].point`: the hop is not made).
    public func point(at i: Int) -> CapturePoint {
        precondition(i >= 0 && i < count, "hop index out of range")
        switch storage! {
        case .packed(let p): return p.withUnsafeMutablePointerToElements { $0[i] }.capturePoint
        case .whole(let w): return w.hops[i].point
        }
    }

    /// When hop `i` was seen (cheaper than `self[i].time`).
    public func time(at i: Int) -> EventTime {
        precondition(i >= 0 && i < count, "hop index out of range")
        switch storage! {
        case .packed(let p): return p.withUnsafeMutablePointerToElements { $0[i] }.time(base: p.header.base)
        case .whole(let w): return w.hops[i].time
        }
    }

    /// Whether a hop was seen at `point`.
    public func contains(point: CapturePoint) -> Bool {
        for i in indices where self.point(at: i) == point { return true }
        return false
    }

    /// Hops this list holds without growing.
    public var capacity: Int {
        switch storage {
        case .packed(let p)?: Int(p.header.capacity)
        case .whole(let w)?: w.hops.capacity
        case nil: 0
        }
    }

    public mutating func append(_ hop: Hop) {
        guard storage != nil else {
            self = HopList(CollectionOfOne(hop), capacity: 1)
            return
        }
        let unique = isUnique()
        switch storage! {
        case .packed(let p):
            let n = Int(p.header.count), room = Int(p.header.capacity)
            let base = n == 0 ? hop.time : p.header.base
            guard let h = PackedHop(hop, base: base) else {
                unpack()
                if case .whole(let w)? = storage { w.append(hop) }
                return
            }
            var q = p
            // Room grows by doubling, as an Array's would.
            if n == room || !unique { q = regrown(p, capacity: n == room ? Swift.max(1, 2 * n) : room) }
            q.header.base = base
            q.withUnsafeMutablePointerToElements { ($0 + n).initialize(to: h) }
            q.header.count += 1
        case .whole(var w):
            if !unique {
                w = WholeHops(w.hops)
                storage = .whole(w)
            }
            w.append(hop)
        }
    }

    public mutating func reserveCapacity(_ n: Int) {
        guard n > capacity else { return }
        switch storage {
        case nil: self = HopList(EmptyCollection(), capacity: n)
        case .packed(let p)?: _ = regrown(p, capacity: n)
        case .whole?:
            makeUnique()
            if case .whole(let w)? = storage { w.hops.reserveCapacity(n) }
        }
    }

    /// Rare (merging flows, reordering a sender's hop): made afresh from whole hops.
    public mutating func replaceSubrange<C: Collection>(_ range: Range<Int>, with new: C) where C.Element == Hop {
        var all = Array(self)
        all.replaceSubrange(range, with: new)
        self = HopList(all, capacity: capacity)
    }

    public static func == (a: HopList, b: HopList) -> Bool { a.elementsEqual(b) }

    /// Which buffer holds the hops (tests: whether the list packs, and is changed in place).
    var isPacked: Bool {
        if case .whole? = storage { return false }
        return true
    }
    var bufferIdentity: ObjectIdentifier? {
        switch storage {
        case .packed(let p)?: ObjectIdentifier(p)
        case .whole(let w)?: ObjectIdentifier(w)
        case nil: nil
        }
    }

    /// Whether no other list shares the buffer. (Asked before any other reference to it is
    /// kept: one would make it look shared.)
    private mutating func isUnique() -> Bool {
        switch storage {
        case .packed(var p)?:
            storage = nil
            defer { storage = .packed(p) }
            return isKnownUniquelyReferenced(&p)
        case .whole(var w)?:
            storage = nil
            defer { storage = .whole(w) }
            return isKnownUniquelyReferenced(&w)
        case nil:
            return true
        }
    }

    /// Copies the buffer when another list shares it.
    private mutating func makeUnique() {
        guard storage != nil, !isUnique() else { return }
        switch storage! {
        case .packed(let p): _ = regrown(p, capacity: Int(p.header.capacity))
        case .whole(let w): storage = .whole(WholeHops(w.hops))
        }
    }

    /// A packed buffer of `capacity` holding `p`'s hops, now this list's (never shared).
    private mutating func regrown(_ p: PackedHops, capacity: Int) -> PackedHops {
        let n = Int(p.header.count)
        let q = PackedHops.make(capacity: Swift.max(capacity, n), base: p.header.base, from: EmptyCollection())!
        p.withUnsafeMutablePointerToElements { from in
            q.withUnsafeMutablePointerToElements { $0.initialize(from: from, count: n) }
        }
        q.header.count = Int32(n)
        storage = .packed(q)
        return q
    }

    /// Whole hops from here on: one did not pack.
    private mutating func unpack() {
        var all = Array(self)
        all.reserveCapacity(capacity)
        storage = .whole(WholeHops(all))
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
    static func make(capacity: Int, base: EventTime, from hops: some Collection<Hop>) -> PackedHops? {
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

/// Hops that did not all pack (see `PackedHop`: IPv6, a delta below 0 or of 524,287 µs or
/// more, a time over 2^31 µs from the base, an echo id beside a port), kept whole.
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
