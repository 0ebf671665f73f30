/// The flow table's index: a flow's id, and its keys (each serving itself and its reverse),
/// to its box. `FlowTable` always files a key and its reverse together (a flow is found
/// from either direction), so one entry under the canonical key serves both, and a flow is
/// only ever filed under its own keys (`orig`, `reply`) and its own id.
///
/// Open addressing with linear probing over 12 bytes a slot (a 30-bit hash with two bits
/// saying what the slot is for: the flow's orig key, its reply key or its id; and the box,
/// unretained: every filed box is held by the flow table, which unfiles it before letting
/// it go). Neither key nor id is stored: the flow in the slot has them. A `[FlowKey: Int]`
/// took 56 bytes a bucket, and its buckets were a tenth of the correlator's memory at 100k
/// flows; an `[Int: FlowBox]` by id took 42 bytes a flow more.
struct FlowIndex {
    private var hashes: [UInt32] = []
    private var boxes: [Unmanaged<FlowBox>?] = []
    /// Key entries (each serves a key and its reverse); ids are not counted.
    private(set) var count = 0
    /// Id entries: the flows filed.
    private(set) var idCount = 0
    private var entries = 0

    private enum Kind: UInt32 {
        case orig = 0, reply = 1, id = 2
    }

    subscript(key: FlowKey) -> FlowBox? {
        let c = key.canonical
        let (i, found) = slot(hash: Self.hash(c)) { Self.isFiled($1, under: c, as: $0) }
        return found ? boxes[i]?.takeUnretainedValue() : nil
    }

    subscript(id id: Int) -> FlowBox? {
        let (i, found) = slot(hash: Self.hash(id: id)) { kind, f in kind == .id && f.flow.id == id }
        return found ? boxes[i]?.takeUnretainedValue() : nil
    }

    /// Files `box` under its own keys (orig, and reply when it has one) and their reverses,
    /// in place of whichever flow had them. Only a flow's own keys: the slot holds no key,
    /// so one filed under a key the flow lacks could never be found, or unfiled.
    mutating func file(_ box: FlowBox) {
        let orig = box.flow.orig.canonical, reply = box.flow.reply?.canonical
        file(box, key: orig, kind: .orig)
        if let reply, reply != orig { file(box, key: reply, kind: .reply) }
    }

    /// Files `box` under its id (once: ids are never reused).
    mutating func fileID(_ box: FlowBox) {
        let id = box.flow.id
        if place(box, hash: Self.hash(id: id), kind: .id, matches: { kind, f in kind == .id && f.flow.id == id }) { idCount += 1 }
    }

    private mutating func file(_ box: FlowBox, key c: FlowKey, kind: Kind) {
        if place(box, hash: Self.hash(c), kind: kind, matches: { Self.isFiled($1, under: c, as: $0) }) { count += 1 }
    }

    /// Puts `box` in the slot `matches` finds, or a new one. Returns whether the slot is new.
    @discardableResult
    private mutating func place(_ box: FlowBox, hash h: UInt32, kind: Kind, matches: (Kind, FlowBox) -> Bool) -> Bool {
        if (entries + 1) * 4 > boxes.count * 3 { grow() }
        let (i, found) = slot(hash: h, matches: matches)
        hashes[i] = h << 2 | kind.rawValue
        boxes[i] = Unmanaged.passUnretained(box)
        if !found { entries += 1 }
        return !found
    }

    /// Unfiles `key` when `box` is the flow filed under it.
    mutating func remove(_ key: FlowKey, of box: FlowBox) {
        let c = key.canonical
        let (at, found) = slot(hash: Self.hash(c)) { Self.isFiled($1, under: c, as: $0) }
        guard found, boxes[at]?.toOpaque() == Unmanaged.passUnretained(box).toOpaque() else { return }
        count -= 1
        vacate(at)
    }

    /// Unfiles the box's id.
    mutating func removeID(of box: FlowBox) {
        let id = box.flow.id
        let (at, found) = slot(hash: Self.hash(id: id)) { kind, f in kind == .id && f.flow.id == id }
        guard found else { return }
        idCount -= 1
        vacate(at)
    }

    /// Backward-shift deletion: later entries of the run move up into the hole, so no
    /// probe stops short at it (no tombstones to pile up under churn).
    private mutating func vacate(_ at: Int) {
        entries -= 1
        let mask = boxes.count - 1
        var hole = at, j = at
        while true {
            j = (j + 1) & mask
            guard let b = boxes[j] else { break }
            let home = Int(hashes[j] >> 2) & mask
            // An entry whose home lies cyclically in (hole, j] must stay where it is.
            let stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if stays { continue }
            hashes[hole] = hashes[j]
            boxes[hole] = b
            hole = j
        }
        boxes[hole] = nil
    }

    /// The slot of the entry `matches` accepts (given what the slot is for and its flow), or
    /// the empty slot where it would go.
    private func slot(hash h: UInt32, matches: (Kind, FlowBox) -> Bool) -> (Int, Bool) {
        guard !boxes.isEmpty else { return (0, false) }
        let mask = boxes.count - 1
        var i = Int(h) & mask
        while let b = boxes[i] {
            if hashes[i] >> 2 == h, let kind = Kind(rawValue: hashes[i] & 3) {
                if b._withUnsafeGuaranteedRef({ matches(kind, $0) }) { return (i, true) }
            }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    private mutating func grow() {
        let oldHashes = hashes, oldBoxes = boxes
        let size = max(16, boxes.count * 2)
        hashes = Array(repeating: 0, count: size)
        boxes = Array(repeating: nil, count: size)
        let mask = size - 1
        for (h, b) in zip(oldHashes, oldBoxes) {
            guard let b else { continue }
            var i = Int(h >> 2) & mask
            while boxes[i] != nil { i = (i + 1) & mask }
            hashes[i] = h
            boxes[i] = b
        }
    }

    /// Whether the slot (for `kind` of `box`'s flow) is the one for canonical key `c`.
    private static func isFiled(_ box: FlowBox, under c: FlowKey, as kind: Kind) -> Bool {
        switch kind {
        case .orig: box.flow.orig.canonical == c
        case .reply: box.flow.reply?.canonical == c
        case .id: false
        }
    }

    /// 30 bits of the key's hash (the slot's last two bits say what it is for).
    private static func hash(_ c: FlowKey) -> UInt32 { UInt32(truncatingIfNeeded: c.hashValue) & 0x3FFF_FFFF }
    private static func hash(id: Int) -> UInt32 { UInt32(truncatingIfNeeded: id.hashValue) & 0x3FFF_FFFF }
}
