import Synchronization

/// The names behind every `CapturePoint`, each distinct pair stored once for the
/// life of the process (as Go's `unique.Make` interns values): a run has a handful of
/// points, and a sighting then carries a 4-byte index instead of two strings.
///
/// Reading needs no lock: an entry is written, under the lock, before its index is
/// handed out, and is never changed or freed. Bounded (a crafted recording can name a
/// million interfaces): past `maxCount` points or `maxNameBytes` of names, new names all
/// share one entry that says so.
enum CapturePointNames {
    struct Names: Sendable {
        let netns: String?
        let iface: String
        let description: String
    }

    static let chunkBits = 10
    static let chunkSize = 1 << chunkBits
    static let maxChunks = 1024
    static let maxCount = chunkSize * maxChunks
    static let maxNameBytes = 64 << 20
    static let overflow = Names(netns: nil, iface: "(too many capture points)", description: "(too many capture points)")

    /// Chunk pointers, allocated once; a chunk is allocated when its first entry is
    /// interned. Immutable once set, so read without the lock.
    nonisolated(unsafe) static let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Names>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<Names>?>.allocate(capacity: maxChunks)
        p.initialize(repeating: nil, count: maxChunks)
        return p
    }()

    struct Key: Hashable {
        let netns: String?
        let iface: String
    }

    struct Index {
        var byName: [Key: UInt32] = [:]
        var count: UInt32 = 0
        var nameBytes = 0
        var overflowHandle: UInt32?
    }

    static let index = Mutex(Index())

    static func intern(netns: String?, iface: String) -> UInt32 {
        let key = Key(netns: netns, iface: iface)
        return index.withLock { x in
            if let h = x.byName[key] { return h }
            let bytes = (netns?.utf8.count ?? 0) + iface.utf8.count
            let full = Int(x.count) >= maxCount - 1 || x.nameBytes + bytes > maxNameBytes
            if full, let h = x.overflowHandle { return h }
            let names = full ? overflow : Names(netns: netns, iface: iface, description: netns.map { "\($0):\(iface)" } ?? iface)
            let h = x.count
            let chunk = Int(h) >> chunkBits
            if chunks[chunk] == nil { chunks[chunk] = .allocate(capacity: chunkSize) }
            (chunks[chunk]! + Int(h) & (chunkSize - 1)).initialize(to: names)
            x.count += 1
            if full {
                x.overflowHandle = h
            } else {
                x.byName[key] = h
                x.nameBytes += bytes
            }
            return h
        }
    }

    static func names(_ h: UInt32) -> Names {
        chunks[Int(h) >> chunkBits].unsafelyUnwrapped[Int(h) & (chunkSize - 1)]
    }
}
