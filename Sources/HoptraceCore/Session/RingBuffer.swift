/// The last `capacity` items, oldest first: logs that must not grow under a flood.
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    public let capacity: Int
    private var storage: [Element] = []
    private var head = 0
    /// Items ever appended, including those since overwritten.
    public private(set) var appended = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage.reserveCapacity(min(capacity, 1024))
    }

    public mutating func append(_ e: Element) {
        appended += 1
        if storage.count < capacity {
            storage.append(e)
        } else {
            storage[head] = e
            head = (head + 1) % capacity
        }
    }

    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    public var count: Int { storage.count }

    /// i = 0 is the oldest kept item.
    public subscript(i: Int) -> Element { storage[(head + i) % storage.count] }

    public var elements: [Element] { (0..<count).map { self[$0] } }

    /// The newest `n` items, newest last.
    public func suffix(_ n: Int) -> [Element] { (max(0, count - n)..<count).map { self[$0] } }
}
