/// A flow as the correlator holds it: the value, mutated in place, plus its links in the
/// least-recently-used order and its deadline in the timer heap.
final class FlowBox {
    var flow: Flow
    /// LRU neighbours; every linked box is also held by the flow table, which unlinks
    /// it before letting it go.
    unowned(unsafe) var older: FlowBox?
    unowned(unsafe) var newer: FlowBox?
    var linked = false

    init(_ flow: Flow) { self.flow = flow }
}

/// Least-recently-used order over flows, O(1) touch / remove / oldest, linked through the boxes.
struct LRUList {
    private(set) var count = 0
    unowned(unsafe) private(set) var oldest: FlowBox?
    unowned(unsafe) private var newest: FlowBox?

    /// Makes `b` the newest (inserting it if needed).
    mutating func touch(_ b: FlowBox) {
        if newest === b { return }
        if b.linked { remove(b) }
        b.older = newest
        b.newer = nil
        b.linked = true
        count += 1
        if let n = newest { n.newer = b }
        newest = b
        if oldest == nil { oldest = b }
    }

    mutating func remove(_ b: FlowBox) {
        guard b.linked else { return }
        if let p = b.older { p.newer = b.newer } else { oldest = b.newer }
        if let n = b.newer { n.older = b.older } else { newest = b.older }
        b.older = nil
        b.newer = nil
        b.linked = false
        count -= 1
    }
}

/// A binary min-heap of flow deadlines.
struct DeadlineHeap {
    struct Entry: Comparable {
        var time: EventTime
        var flowID: Int
        static func < (a: Entry, b: Entry) -> Bool { (a.time, a.flowID) < (b.time, b.flowID) }
    }
    private(set) var items: [Entry] = []

    var count: Int { items.count }
    var top: Entry? { items.first }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let e = items.removeLast()
        siftDown(0)
        return e
    }

    /// Keeps only the entries `keep` accepts, in O(n).
    mutating func filter(_ keep: (Entry) -> Bool) {
        items = items.filter(keep)
        for i in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { return }
            items.swapAt(i, m)
            i = m
        }
    }
}

