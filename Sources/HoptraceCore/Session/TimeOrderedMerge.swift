/// Hands on items from several time-ordered streams (one per capture point) in one
/// time order, holding back what a slower stream could still overtake.
///
/// Why: each point's packets arrive in batches; handed on batch by batch, a packet's
/// five sightings arrive thousands of packets apart under load and its journey falls out
/// of the flow's bounded journey list before the next point's batch comes. In time
/// order they arrive together, as they happened.
///
/// A stream whose last read was cut short by the per-read limit may hold older packets
/// than the others' newest: nothing later than its newest held item is released until it
/// has been read again (its watermark). A stream read to the end holds everything it has.
///
/// Inlinable: a packet passes through it five times over at full rate, and unspecialised
/// generic code across the module boundary cost more than the merge itself.
public struct TimeOrderedMerge<Item> {
    @usableFromInline var held: [[Item]]
    @usableFromInline var heads: [Int]
    @usableFromInline let time: (Item) -> Int64

    /// `time`: the item's timestamp (microseconds, any epoch, ascending within a stream).
    @inlinable public init(streams: Int, time: @escaping (Item) -> Int64) {
        held = Array(repeating: [], count: streams)
        heads = Array(repeating: 0, count: streams)
        self.time = time
    }

    @inlinable public var streams: Int { held.count }
    @inlinable public func heldCount(_ stream: Int) -> Int { held[stream].count - heads[stream] }
    @inlinable public var heldCount: Int { held.indices.reduce(0) { $0 + heldCount($1) } }

    @inlinable public mutating func add(_ item: Item, stream: Int) {
        held[stream].append(item)
    }

    /// Emits, oldest first (equal times: lower stream first), every held item no later
    /// than the watermark: the newest held time of the streams that may have more
    /// (`mayHaveMore[i]`), the earliest of those. `emit` returns false to stop early
    /// (what is left stays held).
    @inlinable public mutating func release(mayHaveMore: [Bool], _ emit: (Int, Item) -> Bool) {
        var watermark = Int64.max
        for i in held.indices where i < mayHaveMore.count && mayHaveMore[i] && heldCount(i) > 0 {
            watermark = min(watermark, time(held[i][held[i].count - 1]))
        }
        drainHeld(upTo: watermark, only: nil, emit)
    }

    /// Emits everything held, in time order.
    @inlinable public mutating func releaseAll(_ emit: (Int, Item) -> Bool) {
        drainHeld(upTo: .max, only: nil, emit)
    }

    /// Emits what one stream holds (it is going away), then forgets the stream: later
    /// streams' indices move down by one.
    @inlinable public mutating func remove(stream: Int, _ emit: (Int, Item) -> Bool) {
        drainHeld(upTo: .max, only: stream, emit)
        held.remove(at: stream)
        heads.remove(at: stream)
    }

    @inlinable mutating func drainHeld(upTo watermark: Int64, only: Int?, _ emit: (Int, Item) -> Bool) {
        defer { compact() }
        while true {
            var best: Int?, bestTime = Int64.max
            for i in held.indices where (only == nil || only == i) && heads[i] < held[i].count {
                let t = time(held[i][heads[i]])
                if t <= watermark && (best == nil || t < bestTime) {
                    best = i
                    bestTime = t
                }
            }
            guard let i = best else { return }
            let item = held[i][heads[i]]
            heads[i] += 1
            if !emit(i, item) { return }
        }
    }

    /// Drops what was emitted (once per release, not per item).
    @inlinable mutating func compact() {
        for i in held.indices where heads[i] > 0 {
            if heads[i] == held[i].count {
                held[i].removeAll(keepingCapacity: true)
            } else {
                held[i].removeFirst(heads[i])
            }
            heads[i] = 0
        }
    }
}
