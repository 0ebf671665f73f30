/// Least-recently-used order over flow ids, O(1) touch / remove / oldest.
struct LRUList {
    private struct Node {
        var prev: Int?
        var next: Int?
    }
    private var nodes: [Int: Node] = [:]
    private(set) var oldest: Int?
    private var newest: Int?

    var count: Int { nodes.count }

    /// Makes `id` the newest (inserting it if needed).
    mutating func touch(_ id: Int) {
        if newest == id { return }
        if nodes[id] != nil { remove(id) }
        nodes[id] = Node(prev: newest, next: nil)
        if let n = newest { nodes[n]?.next = id }
        newest = id
        if oldest == nil { oldest = id }
    }

    mutating func remove(_ id: Int) {
        guard let node = nodes.removeValue(forKey: id) else { return }
        if let p = node.prev { nodes[p]?.next = node.next } else { oldest = node.next }
        if let n = node.next { nodes[n]?.prev = node.prev } else { newest = node.prev }
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
