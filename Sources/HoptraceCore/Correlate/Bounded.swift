/// A flow as `FlowTable` holds it: the value, mutated in place, plus its links in the
/// least-recently-used order. Nothing else: 16 + 216 + 16 bytes fit malloc's 256 size.
final class FlowBox {
    var flow: Flow
    /// LRU neighbours, unretained (the list holds each box it links once, as a whole).
    var older: Unmanaged<FlowBox>?
    var newer: Unmanaged<FlowBox>?

    init(_ flow: Flow) { self.flow = flow }
}

/// Least-recently-used order over flows, O(1) touch / remove / oldest, linked through the
/// boxes. It is what holds the flow table's boxes: a box is retained once when linked and
/// released when unlinked (no retain/release while relinking), and the rest when the list
/// goes. A class so that it can: one list per table.
final class LRUList {
    private(set) var count = 0
    private var oldestRef: Unmanaged<FlowBox>?
    private var newestRef: Unmanaged<FlowBox>?

    deinit {
        var next = oldestRef
        while let b = next {
            next = b._withUnsafeGuaranteedRef { box in
                defer { (box.older, box.newer) = (nil, nil) }
                return box.newer
            }
            b.release()
        }
    }

    var oldest: FlowBox? { oldestRef?.takeUnretainedValue() }

    /// Every box linked, oldest first.
    var boxes: [FlowBox] {
        var out: [FlowBox] = []
        out.reserveCapacity(count)
        var next = oldestRef
        while let b = next {
            out.append(b.takeUnretainedValue())
            next = b._withUnsafeGuaranteedRef { $0.newer }
        }
        return out
    }

    /// Whether `b` is in the list: it has a neighbour, or is the one box there is.
    func contains(_ b: FlowBox) -> Bool {
        b.older != nil || b.newer != nil || newestRef?.toOpaque() == Unmanaged.passUnretained(b).toOpaque()
    }

    /// Makes `b` the newest (inserting, and holding, it if needed).
    func touch(_ b: FlowBox) {
        let me = Unmanaged.passUnretained(b)
        if newestRef?.toOpaque() == me.toOpaque() { return }
        if contains(b) {
            unlink(b)
        } else {
            _ = me.retain()
            count += 1
        }
        b.older = newestRef
        b.newer = nil
        newestRef?._withUnsafeGuaranteedRef { $0.newer = me }
        newestRef = me
        if oldestRef == nil { oldestRef = me }
    }

    /// Takes `b` out and lets it go (the caller's reference keeps it while it needs it).
    func remove(_ b: FlowBox) {
        guard contains(b) else { return }
        unlink(b)
        count -= 1
        Unmanaged.passUnretained(b).release()
    }

    private func unlink(_ b: FlowBox) {
        let older = b.older, newer = b.newer
        if let older { older._withUnsafeGuaranteedRef { $0.newer = newer } } else { oldestRef = newer }
        if let newer { newer._withUnsafeGuaranteedRef { $0.older = older } } else { newestRef = older }
        b.older = nil
        b.newer = nil
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

