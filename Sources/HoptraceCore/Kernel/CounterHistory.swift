/// The drop counters of each watched namespace over the last minutes: what a verdict cites
/// ("counted: TcpExt.IPReversePathFilter +3 in hthost while 3 requests vanished").
///
/// Only the counters `KernelCounters.meanings` explains are kept, as one array per sample,
/// and each namespace keeps at most `capacity` samples (the oldest go): at 10 samples a second
/// that is ~25 s of history in ~70 KiB per namespace, and longer while the counters stand
/// still (a run of equal samples keeps only its ends).
public struct CounterHistory: Sendable {
    public static let keys = KernelCounters.meanings.map(\.key)
    public static let keySet = Set(keys)
    /// What a sample parses for (the rest of each file is checked, not kept).
    public static let selection = KernelCounterSelection(keys)
    public static let capacity = 256
    /// Namespaces kept at most (a crafted recording could name any number).
    public static let namespaceLimit = 256

    struct Sample: Sendable {
        var time: EventTime
        var values: [UInt64?]
    }

    private var samples: [String?: [Sample]] = [:]

    public init() {}

    /// Samples held for `netns`.
    public func count(in netns: String?) -> Int { samples[netns]?.count ?? 0 }

    /// The kept counters of a sample, by name (a counter the kernel does not have is left out).
    public static func values(_ c: KernelCounters) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for key in keys { if let v = c[key] { out[key] = v } }
        return out
    }

    public mutating func record(_ c: KernelCounters, netns: String?, at time: EventTime) {
        record(values: Self.values(c), netns: netns, at: time)
    }

    /// A sample as a recording carries it (or `values(_:)` made it).
    public mutating func record(values: [String: UInt64], netns: String?, at time: EventTime) {
        guard samples[netns] != nil || samples.count < Self.namespaceLimit else { return }
        var list = samples[netns] ?? []
        // Samples arrive in time order; one out of order (a clock step) starts the list again.
        if let last = list.last, last.time > time { list.removeAll() }
        let sample = Sample(time: time, values: Self.keys.map { values[$0] })
        // A run of equal samples keeps its first and its last (a window needs one at or before its
        // start, and one after): idle time does not push older changes out.
        if list.count >= 2, list[list.count - 1].values == sample.values, list[list.count - 2].values == sample.values {
            list[list.count - 1] = sample
        } else {
            list.append(sample)
        }
        if list.count > Self.capacity { list.removeFirst(list.count - Self.capacity) }
        samples[netns] = list
    }

    /// What moved in `netns` from the last sample at or before `from` to the newest one: counters
    /// with a nonzero change only (a counter absent at either end is left out). nil when no sample
    /// is that old (the window began before sampling did) or none is newer: nothing can be said.
    public func delta(in netns: String?, from: EventTime) -> [String: Int64]? {
        // A start and at least one sample after it: else the window is not covered at all.
        guard let list = samples[netns], let last = list.last,
              let start = list.lastIndex(where: { $0.time <= from }), start < list.count - 1 else { return nil }
        var out: [String: Int64] = [:]
        for (i, key) in Self.keys.enumerated() {
            guard let a = list[start].values[i], let b = last.values[i], a != b else { continue }
            out[key] = b >= a ? Int64(clamping: b - a) : -Int64(clamping: a - b)
        }
        return out
    }
}
