/// A flow as `FlowTable` holds it: the value, mutated in place, plus its links in the
/// least-recently-used order.
final class FlowBox {
    var flow: Flow
    /// LRU neighbours, unretained: every linked box is also held by the flow table,
    /// which unlinks it before letting it go.
    var older: Unmanaged<FlowBox>?
    var newer: Unmanaged<FlowBox>?
    var linked = false
    /// Where `FlowTable` holds it.
    var slot: Int32 = -1

    init(_ flow: Flow) { self.flow = flow }
}

/// Least-recently-used order over flows, O(1) touch / remove / oldest, linked through
/// the boxes (no retain/release while relinking).
struct LRUList {
    private(set) var count = 0
    private var oldestRef: Unmanaged<FlowBox>?
    private var newestRef: Unmanaged<FlowBox>?

    var oldest: FlowBox? { oldestRef?.takeUnretainedValue() }

    /// Makes `b` the newest (inserting it if needed).
    mutating func touch(_ b: FlowBox) {
        let me = Unmanaged.passUnretained(b)
        if newestRef?.toOpaque() == me.toOpaque() { return }
        if b.linked { remove(b) }
        b.older = newestRef
        b.newer = nil
        b.linked = true
        count += 1
        newestRef?._withUnsafeGuaranteedRef { $0.newer = me }
        newestRef = me
        if oldestRef == nil { oldestRef = me }
    }

    mutating func remove(_ b: FlowBox) {
        guard b.linked else { return }
        let older = b.older, newer = b.newer
        if let older { older._withUnsafeGuaranteedRef { $0.newer = newer } } else { oldestRef = newer }
        if let newer { newer._withUnsafeGuaranteedRef { $0.older = older } } else { newestRef = older }
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

