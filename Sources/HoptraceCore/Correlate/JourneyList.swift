/// A flow's journeys, oldest first, bounded: a ring in one buffer of its own.
///
/// Why not an Array: under load every packet starts a journey and the oldest goes,
/// and shifting 31 journeys down each time was a fifth of the correlator's work.
/// Why not a Deque, or a ring over an Array: their subscripts hand out copies, and every
/// sighting reads a field or two of every journey (a copy of a journey retains its hops,
/// path and verdict texts). Here a journey is read and changed where it lies (addressors),
/// and copied only when the list itself is shared (copy-on-write).
/// Sendable as a value: the buffer is copied before any change while shared (`makeUnique`).
public struct JourneyList: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral, @unchecked Sendable {
    /// nil while empty.
    private var storage: JourneyStorage?

    public init() {}
    public init(arrayLiteral elements: Journey...) {
        guard !elements.isEmpty else { return }
        storage = JourneyStorage.make(capacity: elements.count, from: elements[...])
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage?.header.count ?? 0 }
    public func index(after i: Int) -> Int { i + 1 }
    public func index(before i: Int) -> Int { i - 1 }

    /// Inlined: every sighting reads a field or two of each journey of its flow (a dozen calls).
    public subscript(i: Int) -> Journey {
        @inline(__always) unsafeAddress {
            precondition(i >= 0 && i < count, "journey index out of range")
            return UnsafePointer(storage!.address(of: i))
        }
        @inline(__always) unsafeMutableAddress {
            precondition(i >= 0 && i < count, "journey index out of range")
            makeUnique()
            return storage!.address(of: i)
        }
    }

    /// Adds `j` in time order (after those that started no later) and drops the oldest
    /// beyond `bound`. Returns where `j` now is (nil: it was the oldest and went at once).
    mutating func insert(_ j: consuming Journey, bound: Int) -> Int? {
        guard bound > 0 else { return nil }
        var i = count
        while i > 0 && self[i - 1].firstTime > j.firstTime { i -= 1 }
        // No reference to the buffer is kept here: it would make `makeUnique` copy it.
        guard let capacity = storage?.header.capacity else {
            // A flow's first journey gets a buffer of one: most flows of a big table hold one.
            storage = JourneyStorage.make(capacity: 1, from: [j][...])
            return 0
        }
        let n = count
        if i == n && n >= bound && n == capacity {
            // The usual case when full: the newest replaces the oldest, nothing moves.
            makeUnique()
            storage!.replaceOldest(with: consume j)
            while count > bound { storage!.removeFirst() }
            return count - 1
        }
        if i == n && n < capacity && n < bound {
            makeUnique()
            storage!.append(j)
            return n
        }
        // Growing, or a journey that started before others (rare): the list is laid out afresh.
        var all = Array(self)
        all.insert(j, at: i)
        var at = i
        let excess = Swift.max(0, all.count - bound)
        all.removeFirst(excess)
        at -= excess
        // Room grows by doubling up to the bound, as an Array's would.
        storage = JourneyStorage.make(capacity: Swift.min(Swift.max(bound, all.count), Swift.max(all.count, capacity * 2)), from: all[...])
        return at >= 0 ? at : nil
    }

    /// Which buffer holds the journeys (tests: a list held once is changed in place, never copied).
    var bufferIdentity: ObjectIdentifier? { storage.map(ObjectIdentifier.init) }

    /// Copies the buffer when another list shares it. (Asked before any other reference to it
    /// is taken: a `let` of it would make it look shared.)
    private mutating func makeUnique() {
        guard storage != nil, !isKnownUniquelyReferenced(&storage) else { return }
        storage = JourneyStorage.make(capacity: storage!.header.capacity, from: Array(self)[...])
    }
}

/// The ring's buffer: `count` journeys from slot `head` on, wrapping at `capacity`.
final class JourneyStorage: ManagedBuffer<JourneyStorage.Header, Journey> {
    /// 21 bits each in one word: with the header of the buffer's object, a ring of one
    /// journey fits 120 bytes (malloc's 128 size).
    struct Header {
        private var word: UInt64
        static let limit = 1 << 21
        private static let mask: UInt64 = (1 << 21) - 1
        init(count: Int, head: Int, capacity: Int) {
            precondition(count < Self.limit && head < Self.limit && capacity < Self.limit, "journey ring too large")
            word = UInt64(count) | UInt64(head) << 21 | UInt64(capacity) << 42
        }
        var count: Int {
            get { Int(word & Self.mask) }
            set { word = word & ~Self.mask | UInt64(newValue) & Self.mask }
        }
        var head: Int {
            get { Int(word >> 21 & Self.mask) }
            set { word = word & ~(Self.mask << 21) | (UInt64(newValue) & Self.mask) << 21 }
        }
        /// The ring's size: slots the buffer was made with (ManagedBuffer may give more).
        var capacity: Int { Int(word >> 42 & Self.mask) }
    }

    static func make(capacity: Int, from journeys: ArraySlice<Journey>) -> JourneyStorage {
        let capacity = max(capacity, journeys.count, 1)
        let s = unsafeDowncast(create(minimumCapacity: capacity) { _ in Header(count: 0, head: 0, capacity: capacity) },
                               to: JourneyStorage.self)
        s.withUnsafeMutablePointerToElements { e in
            var k = 0
            for j in journeys {
                (e + k).initialize(to: j)
                k += 1
            }
        }
        s.header.count = journeys.count
        return s
    }

    /// Where journey `i` (in list order) lies. The buffer does not move for its lifetime.
    @inline(__always) func address(of i: Int) -> UnsafeMutablePointer<Journey> {
        let slot = header.head + i
        return withUnsafeMutablePointerToElements { $0 } + (slot < header.capacity ? slot : slot - header.capacity)
    }

    /// In a full ring: the oldest goes, `j` becomes the newest in its slot.
    func replaceOldest(with j: consuming Journey) {
        address(of: 0).pointee = j
        header.head = header.head + 1 == header.capacity ? 0 : header.head + 1
    }

    /// With room left: `j` goes after the newest.
    func append(_ j: Journey) {
        precondition(header.count < header.capacity)
        (withUnsafeMutablePointerToElements { $0 } + ((header.head + header.count) % header.capacity)).initialize(to: j)
        header.count += 1
    }

    func removeFirst() {
        address(of: 0).deinitialize(count: 1)
        header.head = header.head + 1 == header.capacity ? 0 : header.head + 1
        header.count -= 1
    }

    deinit {
        for i in 0..<header.count { address(of: i).deinitialize(count: 1) }
    }
}
