/// A flow's conntrack records and NAT rewrites, in one buffer of their own.
///
/// Why one: a SNAT'd flow holds a record and two rewrites, and as two Arrays they took
/// two allocations with a 32-byte header each (208 bytes in malloc's sizes); one buffer
/// with a 16-byte header takes 160. Copy-on-write like an Array: the buffer is copied before
/// a change while another flow value shares it. Read through `ConntrackRecords` and `NATRewrites`.
struct FlowLedger: @unchecked Sendable {
    /// nil while both are empty.
    private var storage: LedgerStorage?

    init() {}
    init(records: some Collection<Flow.ConntrackRecord>, rewrites: some Collection<NATRewrite>) {
        guard !records.isEmpty || !rewrites.isEmpty else { return }
        let s = LedgerStorage.make(recordRoom: records.count, rewriteRoom: rewrites.count)
        for r in records {
            s.initializeRecord(Int(s.header.records), to: r)
            s.header.records += 1
        }
        for r in rewrites {
            s.initializeRewrite(Int(s.header.rewrites), to: r)
            s.header.rewrites += 1
        }
        storage = s
    }

    var recordCount: Int { storage.map { Int($0.header.records) } ?? 0 }
    var rewriteCount: Int { storage.map { Int($0.header.rewrites) } ?? 0 }
    func record(_ i: Int) -> Flow.ConntrackRecord {
        precondition(i >= 0 && i < recordCount, "record index out of range")
        return storage!.recordAddress(i).pointee
    }
    func rewrite(_ i: Int) -> NATRewrite {
        precondition(i >= 0 && i < rewriteCount, "rewrite index out of range")
        return storage!.rewriteAddress(i).pointee
    }

    /// Adds `r` as the newest record, dropping the oldest beyond `bound`.
    mutating func appendRecord(_ r: Flow.ConntrackRecord, keepingLast bound: Int) {
        let n = recordCount
        if n > bound {
            setRecords(Array(ConntrackRecords(ledger: self).suffix(Swift.max(bound, 1) - 1)) + [r])
            return
        }
        if n == bound, n > 0 {
            makeUnique(recordRoom: n, rewriteRoom: rewriteCount)
            let s = storage!
            s.recordAddress(0).deinitialize(count: 1)
            s.recordAddress(0).moveInitialize(from: s.recordAddress(1), count: n - 1)
            s.initializeRecord(n - 1, to: r)
            return
        }
        let room = storage.map { Int($0.header.recordRoom) } ?? 0
        makeUnique(recordRoom: n < room ? room : Swift.min(Swift.max(1, 2 * n), Swift.max(bound, 1)), rewriteRoom: rewriteCount)
        storage!.initializeRecord(n, to: r)
        storage!.header.records += 1
    }

    mutating func setRecords(_ records: some Collection<Flow.ConntrackRecord>) {
        self = FlowLedger(records: records, rewrites: NATRewrites(ledger: self))
    }

    mutating func appendRewrite(_ r: NATRewrite) {
        let n = rewriteCount, room = storage.map { Int($0.header.rewriteRoom) } ?? 0
        makeUnique(recordRoom: recordCount, rewriteRoom: n < room ? room : Swift.max(1, 2 * n))
        storage!.initializeRewrite(n, to: r)
        storage!.header.rewrites += 1
    }

    mutating func updateRewrite(_ i: Int, _ change: (inout NATRewrite) -> Void) {
        precondition(i >= 0 && i < rewriteCount, "rewrite index out of range")
        makeUnique(recordRoom: Int(storage!.header.recordRoom), rewriteRoom: Int(storage!.header.rewriteRoom))
        change(&storage!.rewriteAddress(i).pointee)
    }

    mutating func removeAllRewrites() {
        guard rewriteCount > 0 else { return }
        self = FlowLedger(records: ConntrackRecords(ledger: self), rewrites: EmptyCollection())
    }

    /// Which buffer holds the ledger (tests: changed in place when held once).
    var bufferIdentity: ObjectIdentifier? { storage.map(ObjectIdentifier.init) }

    /// A buffer held by this ledger alone with at least this room (each at least the count):
    /// the same one when it already is, else a new one with the entries copied or moved.
    private mutating func makeUnique(recordRoom: Int, rewriteRoom: Int) {
        guard storage != nil else {
            storage = LedgerStorage.make(recordRoom: recordRoom, rewriteRoom: rewriteRoom)
            return
        }
        let unique = isKnownUniquelyReferenced(&storage)
        let old = storage!
        if unique && Int(old.header.recordRoom) >= recordRoom && Int(old.header.rewriteRoom) >= rewriteRoom { return }
        let rc = Int(old.header.records), wc = Int(old.header.rewrites)
        let new = LedgerStorage.make(recordRoom: Swift.max(recordRoom, rc), rewriteRoom: Swift.max(rewriteRoom, wc))
        if unique {
            new.recordAddress(0).moveInitialize(from: old.recordAddress(0), count: rc)
            new.rewriteAddress(0).moveInitialize(from: old.rewriteAddress(0), count: wc)
            old.header.records = 0
            old.header.rewrites = 0
        } else {
            new.recordAddress(0).initialize(from: old.recordAddress(0), count: rc)
            new.rewriteAddress(0).initialize(from: old.rewriteAddress(0), count: wc)
        }
        new.header.records = UInt32(rc)
        new.header.rewrites = UInt32(wc)
        storage = new
    }
}

/// The ledger's buffer: `recordRoom` records, then `rewriteRoom` rewrites, in 8-byte words
/// (each region bound to its type when the buffer is made).
final class LedgerStorage: ManagedBuffer<LedgerStorage.Header, UInt64> {
    struct Header {
        var records: UInt32 = 0
        var recordRoom: UInt32
        var rewrites: UInt32 = 0
        var rewriteRoom: UInt32
    }

    private static let recordWords = words(Flow.ConntrackRecord.self)
    private static let rewriteWords = words(NATRewrite.self)

    /// Whole 8-byte words a value takes: the regions are laid out in words, so a type that
    /// did not fill them exactly (or needed more alignment) would overlap the next region.
    private static func words<T>(_: T.Type) -> Int {
        precondition(MemoryLayout<T>.stride % 8 == 0 && MemoryLayout<T>.alignment <= 8, "a ledger entry must fill whole words")
        return MemoryLayout<T>.stride / 8
    }

    static func make(recordRoom: Int, rewriteRoom: Int) -> LedgerStorage {
        precondition(recordRoom <= Int(UInt32.max) && rewriteRoom <= Int(UInt32.max), "flow ledger too large")
        let words = recordRoom * recordWords + rewriteRoom * rewriteWords
        let s = unsafeDowncast(create(minimumCapacity: words) { _ in
            Header(recordRoom: UInt32(recordRoom), rewriteRoom: UInt32(rewriteRoom))
        }, to: LedgerStorage.self)
        // Each region bound to its type once: every access after is typed.
        s.withUnsafeMutablePointerToElements { e in
            UnsafeMutableRawPointer(e).bindMemory(to: Flow.ConntrackRecord.self, capacity: recordRoom)
            UnsafeMutableRawPointer(e + recordRoom * recordWords).bindMemory(to: NATRewrite.self, capacity: rewriteRoom)
        }
        return s
    }

    func recordAddress(_ i: Int) -> UnsafeMutablePointer<Flow.ConntrackRecord> {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
            .assumingMemoryBound(to: Flow.ConntrackRecord.self) + i
    }
    func rewriteAddress(_ i: Int) -> UnsafeMutablePointer<NATRewrite> {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0 + Int(header.recordRoom) * Self.recordWords) }
            .assumingMemoryBound(to: NATRewrite.self) + i
    }
    func initializeRecord(_ i: Int, to r: Flow.ConntrackRecord) { recordAddress(i).initialize(to: r) }
    func initializeRewrite(_ i: Int, to r: NATRewrite) { rewriteAddress(i).initialize(to: r) }

    deinit {
        recordAddress(0).deinitialize(count: Int(header.records))
        rewriteAddress(0).deinitialize(count: Int(header.rewrites))
    }
}

/// A flow's last conntrack events, oldest first: a view of its ledger.
public struct ConntrackRecords: RandomAccessCollection, Sendable {
    let ledger: FlowLedger
    public var startIndex: Int { 0 }
    public var endIndex: Int { ledger.recordCount }
    public subscript(i: Int) -> Flow.ConntrackRecord { ledger.record(i) }
}

/// A flow's NAT rewrites: a view of its ledger (or, made from a literal, of one of its own).
public struct NATRewrites: RandomAccessCollection, ExpressibleByArrayLiteral, Equatable, Sendable {
    let ledger: FlowLedger
    init(ledger: FlowLedger) { self.ledger = ledger }
    public init(arrayLiteral rewrites: NATRewrite...) { ledger = FlowLedger(records: EmptyCollection(), rewrites: rewrites) }
    public var startIndex: Int { 0 }
    public var endIndex: Int { ledger.rewriteCount }
    public subscript(i: Int) -> NATRewrite { ledger.rewrite(i) }
    public static func == (a: NATRewrites, b: NATRewrites) -> Bool { a.elementsEqual(b) }
    public static func == (a: NATRewrites, b: [NATRewrite]) -> Bool { a.elementsEqual(b) }
}
