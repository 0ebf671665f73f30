/// Hands on items from several time-ordered streams (one per capture point) in one
/// time order, holding back what a slower stream could still overtake.
///
/// Why: each point's packets arrive in batches; handed on batch by batch, a packet's
/// five sightings arrive thousands of packets apart under load and its journey falls out
/// of the flow's bounded journey list before the next point's batch comes. In time
/// order they arrive together, as they happened.
///
/// A stream whose last read was cut short by the per-read limit may hold older packets
/// than the others' newest: nothing later than the newest item it has had is released
/// until it has been read again (its watermark; the newest so far, not the last held, so a
/// clock stepping back cannot stall the merge). A caller may also cap what is released at
/// a time (a capture buffer hands over packets in blocks: a point read to the end may
/// still hold, in its open block, packets as old as the block timeout).
///
/// Inlinable: a packet passes through it five times over at full rate, and unspecialised
/// generic code across the module boundary cost more than the merge itself.
public struct TimeOrderedMerge<Item> {
    @usableFromInline var held: [[Item]]
    /// The held items' times, kept beside them: choosing the next item compares only these
    /// (asking `time` of every stream's head copied a whole item each time).
    @usableFromInline var times: [[Int64]]
    @usableFromInline var heads: [Int]
    /// Per stream: the newest time added so far.
    @usableFromInline var newest: [Int64]
    @usableFromInline let time: (Item) -> Int64

    /// `time`: the item's timestamp (microseconds, any epoch, ascending within a stream).
    @inlinable public init(streams: Int, time: @escaping (Item) -> Int64) {
        held = Array(repeating: [], count: streams)
        times = Array(repeating: [], count: streams)
        heads = Array(repeating: 0, count: streams)
        newest = Array(repeating: .min, count: streams)
        self.time = time
    }

    @inlinable public var streams: Int { held.count }

    /// A stream that joins later (a capture point added mid-run): the next index.
    @inlinable public mutating func addStream() {
        held.append([])
        times.append([])
        heads.append(0)
        newest.append(.min)
    }
    @inlinable public func heldCount(_ stream: Int) -> Int { held[stream].count - heads[stream] }
    @inlinable public var heldCount: Int { held.indices.reduce(0) { $0 + heldCount($1) } }

    @inlinable public mutating func add(_ item: Item, stream: Int) {
        let t = time(item)
        held[stream].append(item)
        times[stream].append(t)
        newest[stream] = max(newest[stream], t)
    }

    /// Emits, oldest first (equal times: lower stream first), every held item no later
    /// than the watermark — the newest time of the streams that may have more
    /// (`mayHaveMore[i]`), the earliest of those — nor than `cap`. `emit` returns false
    /// to stop early: that item is not taken, and it and the rest stay held. Returns how
    /// many were emitted.
    @inlinable @discardableResult
    public mutating func release(mayHaveMore: [Bool], cap: Int64 = .max, _ emit: (Int, inout Item) -> Bool) -> Int {
        var watermark = cap
        for i in held.indices where i < mayHaveMore.count && mayHaveMore[i] && heldCount(i) > 0 {
            watermark = min(watermark, newest[i])
        }
        return drainHeld(upTo: watermark, only: nil, emit)
    }

    /// Emits everything held, in time order.
    @inlinable @discardableResult
    public mutating func releaseAll(_ emit: (Int, inout Item) -> Bool) -> Int {
        drainHeld(upTo: .max, only: nil, emit)
    }

    /// Emits what one stream holds (it is going away), then forgets the stream: later
    /// streams' indices move down by one.
    @inlinable public mutating func remove(stream: Int, _ emit: (Int, inout Item) -> Bool) {
        _ = drainHeld(upTo: .max, only: stream, emit)
        held.remove(at: stream)
        times.remove(at: stream)
        heads.remove(at: stream)
        newest.remove(at: stream)
    }

    @inlinable mutating func drainHeld(upTo watermark: Int64, only: Int?, _ emit: (Int, inout Item) -> Bool) -> Int {
        defer { compact() }
        var emitted = 0
        while true {
            var best: Int?, bestTime = Int64.max
            for i in held.indices where (only == nil || only == i) && heads[i] < held[i].count {
                let t = times[i][heads[i]]
                if t <= watermark && (best == nil || t < bestTime) {
                    best = i
                    bestTime = t
                }
            }
            guard let i = best else { return emitted }
            // In place: the item is not copied out to be handed on.
            if !emit(i, &held[i][heads[i]]) { return emitted }
            heads[i] += 1
            emitted += 1
        }
    }

    /// Drops what was emitted: all of a stream's items when all went, else once they are
    /// half of what it holds (moving the rest down on every release cost more than the merge).
    @inlinable mutating func compact() {
        for i in held.indices where heads[i] > 0 {
            if heads[i] < held[i].count && heads[i] * 2 < held[i].count { continue }
            if heads[i] == held[i].count {
                held[i].removeAll(keepingCapacity: true)
                times[i].removeAll(keepingCapacity: true)
            } else {
                held[i].removeFirst(heads[i])
                times[i].removeFirst(heads[i])
            }
            heads[i] = 0
        }
    }
}
