import Synchronization

/// The names behind every `CapturePoint`, each distinct pair stored once for the
/// life of the process (as Go's `unique.Make` interns values): a run has a handful of
/// points, and a sighting then carries a 4-byte index instead of two strings.
///
/// Reading needs no lock: an entry is written, under the lock, before its index is
/// handed out, and is never changed or freed. Bounded (a crafted recording can name a
/// million interfaces): past `maxCount` points or `maxNameBytes` held (`Names.bytes`), new
/// names all share one entry that says so.
final class CapturePointNames: @unchecked Sendable {
    struct Names: Sendable {
        let netns: String?
        let iface: String
        let description: String
        /// The two as JSON values (quoted and escaped, or `null`), made once: every packet
        /// line carries them, and quoting them there was ~3% of `--json` under a flood.
        let netnsJSON: [UInt8]
        let ifaceJSON: [UInt8]

        init(netns: String?, iface: String, description: String) {
            self.netns = netns
            self.iface = iface
            self.description = description
            netnsJSON = Array((netns.map(JSONLine.quote) ?? "null").utf8)
            ifaceJSON = Array(JSONLine.quote(iface).utf8)
        }

        /// What the entry holds, counted against `maxNameBytes`: a name full of control
        /// characters takes six bytes for each in its JSON.
        var bytes: Int {
            (netns?.utf8.count ?? 0) + iface.utf8.count + description.utf8.count + netnsJSON.count + ifaceJSON.count
        }
    }

    /// The one table `CapturePoint` uses; tests make small ones to reach the bounds.
    static let shared = CapturePointNames(maxCount: 1 << 20, maxNameBytes: 64 << 20)
    private static let overflow = Names(netns: nil, iface: "(too many capture points)", description: "(too many capture points)")

    private static let chunkBits = 10
    private static let chunkSize = 1 << chunkBits

    let maxCount: Int
    let maxNameBytes: Int
    /// Chunk pointers, allocated once; a chunk is allocated when its first entry is
    /// interned. Set once under the lock, then only read (without it).
    private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Names>?>
    private let chunkCount: Int

    private struct Key: Hashable {
        let netns: String?
        let iface: String
    }

    private struct Index {
        var byName: [Key: UInt32] = [:]
        var count = 0
        var nameBytes = 0
        var overflowHandle: UInt32?
    }

    private let index = Mutex(Index())

    init(maxCount: Int, maxNameBytes: Int) {
        precondition(maxCount >= 2 && maxCount <= Int(UInt32.max))
        self.maxCount = maxCount
        self.maxNameBytes = maxNameBytes
        chunkCount = (maxCount + Self.chunkSize - 1) / Self.chunkSize
        chunks = .allocate(capacity: chunkCount)
        chunks.initialize(repeating: nil, count: chunkCount)
    }

    deinit {
        for c in 0..<chunkCount {
            guard let chunk = chunks[c] else { continue }
            // Entries are initialized in order: the last chunk may be partly filled.
            let filled = min(Self.chunkSize, index.withLock { $0.count } - c * Self.chunkSize)
            chunk.deinitialize(count: filled)
            chunk.deallocate()
        }
        chunks.deallocate()
    }

    func intern(netns: String?, iface: String) -> UInt32 {
        let key = Key(netns: netns, iface: iface)
        return index.withLock { x in
            if let h = x.byName[key] { return h }
            let made = Names(netns: netns, iface: iface, description: netns.map { "\($0):\(iface)" } ?? iface)
            let bytes = made.bytes
            // The last slot is kept for the overflow entry.
            let full = x.count >= maxCount - 1 || x.nameBytes + bytes > maxNameBytes
            if full, let h = x.overflowHandle { return h }
            let names = full ? Self.overflow : made
            let h = x.count
            let c = h >> Self.chunkBits
            if chunks[c] == nil { chunks[c] = .allocate(capacity: Self.chunkSize) }
            (chunks[c].unsafelyUnwrapped + (h & (Self.chunkSize - 1))).initialize(to: names)
            x.count += 1
            if full {
                x.overflowHandle = UInt32(h)
            } else {
                x.byName[key] = UInt32(h)
                x.nameBytes += bytes
            }
            return UInt32(h)
        }
    }

    /// The names of a handle `intern` returned.
    func names(_ h: UInt32) -> Names { entry(h).pointee }

    /// Where they lie: entries are never changed or freed while the table lives.
    func entry(_ h: UInt32) -> UnsafePointer<Names> {
        UnsafePointer(chunks[Int(h) >> Self.chunkBits].unsafelyUnwrapped + (Int(h) & (Self.chunkSize - 1)))
    }

    var count: Int { index.withLock { $0.count } }
}
