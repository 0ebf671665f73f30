/// The correlator's flows and the bookkeeping that finds, bounds and times them, each in
/// O(1) amortised: an index (a packet's key, or a flow's id, to its flow), the least-recently-seen order
/// (who goes when `maxFlows` are held) and a heap of deadlines (when a flow's unsettled
/// journeys are due to be judged).
///
/// Why apart from the correlator: the correlator decides what happens to a flow; this
/// only keeps the three structures in step with the flows held, which can be tested alone.
///
/// Invariants: every held flow is in the LRU list and filed under its id; the index names
/// only held flows (a destroyed flow stays held, its keys unfiled, until it is evicted); a flow's authoritative
/// deadline is the heap entry equal to its `scheduled`, and any other entry for it is stale.
struct FlowTable: ~Copyable {
    let maxFlows: Int
    private var flowIndex = FlowIndex()
    /// Holds the boxes (the index does not retain). A reference: a copy of the table would
    /// share it and free boxes its own index still names, hence `~Copyable`.
    private let lru = LRUList()
    private var deadlines = DeadlineHeap()
    /// Stale heap entries are dropped once the heap outgrows this (then twice what is left).
    private var compactAt = 4096
    private var nextFlowID = 1

    init(maxFlows: Int) { self.maxFlows = max(1, maxFlows) }

    // MARK: - Reading

    /// Flows filed by id (every held flow is; `lruCount` must agree).
    var count: Int { flowIndex.idCount }
    /// Key index entries: one serves a key and its reverse.
    var keyIndexCount: Int { flowIndex.count }
    var lruCount: Int { lru.count }
    /// Heap entries, stale ones included.
    var deadlineCount: Int { deadlines.count }
    var boxes: [FlowBox] { lru.boxes }

    func box(_ id: Int) -> FlowBox? { flowIndex[id: id] }

    /// The id filed under a key (or its reverse).
    func id(for key: FlowKey) -> Int? { flowIndex[key]?.flow.id }

    /// The flow filed under a key (or its reverse): the packet path's lookup.
    func box(for key: FlowKey) -> FlowBox? { flowIndex[key] }

    /// Every flow held, by id.
    /// (Sorting the boxes, not the flows: a view asks for this every frame.)
    var flowsByID: [Flow] { boxes.sorted { $0.flow.id < $1.flow.id }.map(\.flow) }

    // MARK: - Holding

    /// While the table is full, removes the least recently seen flow and returns it (the
    /// caller reports its end); nil once there is room for one more.
    mutating func evictForRoom() -> FlowBox? {
        guard count >= maxFlows, let victim = lru.oldest else { return nil }
        return remove(victim.flow.id)
    }

    /// Holds a new flow, filed under its first key, as the most recently seen. The caller
    /// makes room first (`evictForRoom`): this never evicts, so it never drops a flow unreported.
    mutating func insert(orig: FlowKey, echo: Bool, time: EventTime) -> FlowBox {
        let id = nextFlowID
        nextFlowID += 1
        let box = FlowBox(Flow(id: id, proto: orig.proto, echo: echo, orig: orig, time: time))
        flowIndex.fileID(box)
        flowIndex.file(box)
        lru.touch(box)
        return box
    }

    /// Forgets a flow: its keys, its place in the LRU order and its box (its heap entries
    /// go stale). Returns the box, nil when no such flow was held.
    @discardableResult
    mutating func remove(_ id: Int) -> FlowBox? {
        guard let box = flowIndex[id: id] else { return nil }
        unindex(id)
        flowIndex.removeID(of: box)
        lru.remove(box)
        return box
    }

    /// Makes the flow the most recently seen.
    func touch(_ box: FlowBox) {
        // Only a held box: touching one let go would hold it again, unfiled, past eviction.
        assert(flowIndex[id: box.flow.id] === box, "touching a flow the table does not hold")
        lru.touch(box)
    }

    // MARK: - Keys

    /// Removes the flow's keys from the index (only those still pointing at it). Before a
    /// flow's keys change (conntrack names its tuples): the index finds a flow through the
    /// keys it has, so a key it no longer has would stay filed, unreachable, for good.
    mutating func unindex(_ id: Int) {
        guard let box = flowIndex[id: id] else { return }
        let orig = box.flow.orig, reply = box.flow.reply
        flowIndex.remove(orig, of: box)
        if let reply { flowIndex.remove(reply, of: box) }
    }

    /// Files the flow under its keys (orig and reply) and their reverses, taking them from
    /// any flow that had them too.
    mutating func index(_ id: Int) {
        guard let box = flowIndex[id: id] else { return }
        flowIndex.file(box)
    }

    // MARK: - Deadlines

    /// Sets the flow's deadline: this heap entry becomes its authoritative one and any
    /// earlier one goes stale (a heap cannot move an entry; stale ones are skipped and compacted).
    mutating func schedule(_ f: inout Flow, at time: EventTime) {
        f.scheduled = time
        deadlines.push(.init(time: time, flowID: f.id))
    }

    /// The next flow whose deadline is at or before `now`, in deadline order (then by id),
    /// with its deadline cleared; stale entries on the way are dropped. nil: none is due.
    mutating func popDue(at now: EventTime) -> FlowBox? {
        while let top = deadlines.top, top.time <= now {
            _ = deadlines.pop()
            guard let box = flowIndex[id: top.flowID], box.flow.scheduled == top.time else { continue }
            box.flow.scheduled = nil
            return box
        }
        return nil
    }

    /// Drops stale heap entries once they could outnumber live ones, so the heap stays
    /// within twice the flows plus a constant. Cheap when not due: called after every update.
    mutating func compactDeadlines() {
        guard deadlines.count > compactAt else { return }
        // A copy of the reference, not of the storage: `deadlines` is being changed meanwhile.
        let held = flowIndex
        deadlines.filter { held[id: $0.flowID]?.flow.scheduled == $0.time }
        compactAt = max(4096, 2 * deadlines.count)
    }
}
