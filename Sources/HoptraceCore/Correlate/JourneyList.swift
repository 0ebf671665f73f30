/// A flow's journeys, oldest first, bounded: a ring over one array.
///
/// Why not an Array: under load every packet starts a journey and the oldest goes,
/// and shifting 31 journeys down each time was a fifth of the correlator's work.
/// Why not a Deque: its subscript hands out copies, and every sighting reads a field or
/// two of every journey (a copy of a journey retains its hops, path and verdict texts);
/// here elements are read and changed in place.
public struct JourneyList: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral, Sendable {
    /// Slots; the list starts at `head` and wraps around.
    private var slots: [Journey] = []
    private var head = 0

    public init() {}
    public init(arrayLiteral elements: Journey...) { slots = elements }

    public var startIndex: Int { 0 }
    public var endIndex: Int { slots.count }
    public func index(after i: Int) -> Int { i + 1 }
    public func index(before i: Int) -> Int { i - 1 }

    @inline(__always) private func slot(_ i: Int) -> Int {
        let s = head + i
        return s < slots.count ? s : s - slots.count
    }

    public subscript(i: Int) -> Journey {
        _read { yield slots[slot(i)] }
        _modify { yield &slots[slot(i)] }
    }

    /// Adds `j` in time order (after those that started no later) and drops the oldest
    /// beyond `bound`. Returns where `j` now is (nil: it was the oldest and went at once).
    mutating func insert(_ j: Journey, bound: Int) -> Int? {
        var i = count
        while i > 0 && self[i - 1].firstTime > j.firstTime { i -= 1 }
        if i == count && count >= bound && count > 0 {
            // The usual case when full: the newest replaces the oldest, nothing moves.
            slots[head] = j
            head = head + 1 == slots.count ? 0 : head + 1
            while count > bound { removeFirst() }
            return count - 1
        }
        // A flow's first journey gets a slot of its own (an insertion would make two): most
        // flows of a big table hold one.
        if slots.isEmpty && bound > 0 {
            slots = [j]
            head = 0
            return 0
        }
        linearize()
        slots.insert(j, at: i)
        var at = i
        while slots.count > bound {
            slots.removeFirst()
            at -= 1
        }
        return at >= 0 ? at : nil
    }

    private mutating func removeFirst() {
        linearize()
        slots.removeFirst()
    }

    /// Makes the ring start at slot 0 (before an insertion in the middle; rare).
    private mutating func linearize() {
        guard head != 0 else { return }
        slots = Array(slots[head...] + slots[..<head])
        head = 0
    }
}
