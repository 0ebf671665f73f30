import CHoptraceShims
import Glibc
import HoptraceCore

/// The one event loop: poll over every capture point's descriptor, decode what
/// arrives, and hand it on in arrival order. Stops on SIGINT/SIGTERM/SIGHUP, after
/// `limit` packets or `duration` seconds. A point whose interface vanishes is
/// reported and dropped; the others keep running.
public final class CaptureLoop {
    public enum Event {
        case packet(CapturePoint, PcapPacket, Result<DecodedPacket, DecodeError>)
        case pointLost(CapturePoint, reason: String)
        /// The kernel dropped packets at a point (its capture buffer was full) between two
        /// checks: `from`…`to` (wall clock) is when, as closely as the loop knows.
        case captureLoss(CapturePoint, dropped: Int, from: (seconds: Int, micros: Int), to: (seconds: Int, micros: Int))
        /// A conntrack event and the wall-clock time it was read.
        case conntrack(netns: String?, ConntrackEvent, seconds: Int, micros: Int)
        case conntrackLost(netns: String?, overruns: Int)
        /// Every `statsInterval` seconds: kernel counters per point and conntrack totals.
        case stats(CaptureStats)
        /// A namespace's drop counters, read by the pipeline (or from a recording);
        /// `forDiagnosis`: taken because a verdict needed the count as of now.
        case kernelCounters(netns: String?, values: [String: UInt64], time: EventTime, forDiagnosis: Bool)
        /// Drops the kernel traced with a reason since the last read (machine-wide).
        case dropReasons(DropReasonRecord)
    }

    public var statsInterval: Double = 5
    /// Dumped conntrack entries handed on per turn at most.
    static let backlogPerTurn = 1024
    /// Conntrack events read so far (all namespaces).
    public private(set) var conntrackEvents = 0

    /// Kernel counters per point (pcap_stats) and conntrack totals, now.
    public var stats: CaptureStats {
        CaptureStats(
            points: sources.map { s in let st = s.stats; return (s.point, st.received, st.dropped) },
            conntrackEvents: conntrackEvents, conntrackOverruns: conntrack.reduce(0) { $0 + $1.overruns })
    }

    var sources: [PcapSource]
    var conntrack: [ConntrackSource]
    /// Points added while running (`add`): they join at the start of the next turn.
    private var joining: [PcapSource] = []

    /// A capture point opened mid-run (the live view's `w`): captured from the next turn on.
    public func add(_ source: PcapSource) { joining.append(source) }

    /// Every point captured or about to be.
    public var points: [CapturePoint] { (sources + joining).map(\.point) }
    public init(sources: [PcapSource], conntrack: [ConntrackSource] = []) {
        self.sources = sources
        self.conntrack = conntrack
    }

    /// At most this many packets are read from a point per turn: what the time-ordered
    /// merge holds back stays bounded (points × this) however far behind the loop is.
    public var readChunk = 4096
    /// Whether packets carry their bytes to `handle` (a recording needs them; nothing else does).
    public var keepBytes = true

    /// While the loop is behind (a point had more than `readChunk` waiting), the time of
    /// the last packet handed on; nil when every point was read to the end. Verdicts must
    /// not be settled by the wall clock past it: the sightings that would complete a
    /// journey may still be waiting unread.
    public private(set) var caughtUpTo: (seconds: Int, micros: Int)?

    /// A struct, not a tuple: the merge moves and drops thousands a second, and a tuple's
    /// copies and destroys went through the runtime's generic tuple witnesses.
    private struct Item {
        var packet: PcapPacket
        var decoded: Result<DecodedPacket, DecodeError>
    }

    /// `turnEnded` runs after each pass over the descriptors (at least every 100 ms):
    /// where output is flushed and a view redraws. `wake` descriptors (a terminal's
    /// input) join the poll, so input is handled at once: `readable` is called for each
    /// one that is ready. `stop` is asked every turn besides SIGINT/SIGTERM/SIGHUP (the
    /// caller's own reasons to end: `q`, a failed recording, stdout's reader gone).
    ///
    /// Packets are handed on in time order across points (see `TimeOrderedMerge`), so a
    /// packet's sightings at successive points arrive one after another.
    public func run(limit: Int? = nil, duration: Double? = nil, wake: () -> [Int32] = { [] }, readable: (Int32) -> Void = { _ in },
                    stop: () -> Bool = { false }, turnEnded: () -> Void = {}, _ handle: (Event) -> Void) {
        defer { turnEnded() }
        StopSignal.install()
        let start = Timestamp.now
        // Dumped entries not handed on yet (the table at start, or after an overrun): at most
        // `backlogPerTurn` a turn, so a big table does not keep the loop from packets and signals.
        var backlog: [(netns: String?, events: [ConntrackEvent], next: Int, time: (seconds: Int, micros: Int))] = []
        for source in conntrack { backlog.append((source.netns, source.takeExisting(), 0, start)) }
        // Entries live events spoke of while their dump waited (a DESTROY among them): the dump's
        // older word must not bring them back as flows that never end.
        var liveWhileBacklogged: Set<ConntrackKey> = []
        func handBacklogOn() {
            var budget = Self.backlogPerTurn
            while budget > 0, !backlog.isEmpty {
                let end = min(backlog[0].events.count, backlog[0].next + budget)
                for event in backlog[0].events[backlog[0].next..<end]
                where !liveWhileBacklogged.contains(ConntrackKey(netns: backlog[0].netns, id: event.id)) {
                    handle(.conntrack(netns: backlog[0].netns, event, seconds: backlog[0].time.seconds, micros: backlog[0].time.micros))
                }
                budget -= end - backlog[0].next
                backlog[0].next = end
                if end == backlog[0].events.count { backlog.removeFirst() }
            }
            if backlog.isEmpty { liveWhileBacklogged.removeAll() }
        }
        handBacklogOn()
        var seen = 0
        var lastHandedOn: (seconds: Int, micros: Int)?
        var merge = TimeOrderedMerge<Item>(streams: sources.count) { Int64($0.packet.seconds) * 1_000_000 + Int64($0.packet.micros) }
        func emit(_ i: Int, _ item: inout Item) -> Bool {
            if let limit, seen >= limit { return false }
            handle(.packet(sources[i].point, item.packet, item.decoded))
            lastHandedOn = (item.packet.seconds, item.packet.micros)
            seen += 1
            return true
        }
        func limitReached() -> Bool { limit.map { seen >= $0 } ?? false }
        // Whatever is held when the loop ends (stopped, timed out) is still handed on.
        defer { merge.releaseAll(emit) }
        // Kernel drops per point, checked every 50 ms at most (one syscall per point).
        var drops = sources.map { Int($0.stats.dropped) }
        var lastDropCheck = (wall: Timestamp.now, mono: Monotonic.now)
        func checkDrops() {
            guard Monotonic.now - lastDropCheck.mono >= 0.05 else { return }
            let now = (wall: Timestamp.now, mono: Monotonic.now)
            for (i, source) in sources.enumerated() {
                let d = Int(source.stats.dropped)
                if d > drops[i] { handle(.captureLoss(source.point, dropped: d - drops[i], from: lastDropCheck.wall, to: now.wall)) }
                drops[i] = d
            }
            lastDropCheck = now
        }
        // A point read to the end may still hold packets in its open block (handed over
        // when full or `timeoutMs` old): packets newer than that are held back a turn.
        let holdMicros = Int64((sources.map(\.timeoutMs).max() ?? 50) + 10) * 1000
        var lastRelease = Monotonic.now
        let deadline = duration.map { Monotonic.now + $0 }
        var nextStats = Monotonic.now + statsInterval
        var behind = false
        while !sources.isEmpty && !StopSignal.requested && !stop() {
            if let deadline, Monotonic.now >= deadline { return }
            if Monotonic.now >= nextStats {
                nextStats += statsInterval
                handle(.stats(stats))
            }
            for source in joining {
                sources.append(source)
                drops.append(Int(source.stats.dropped))
                merge.addStream()
            }
            joining.removeAll()
            let woken = wake()
            var fds = (sources.map(\.fd) + conntrack.map(\.fd) + woken).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            // A point read only up to the chunk has more waiting: no sleeping then; packets
            // held back for their block's timeout are due within it.
            let ready = poll(&fds, nfds_t(fds.count), behind ? 0 : merge.heldCount > 0 ? Int32(holdMicros / 1000) : 100)
            if ready < 0 && errno != EINTR { return }
            for f in fds.suffix(woken.count) where f.revents != 0 { readable(f.fd) }
            var lost: [Int] = []
            var mayHaveMore = [Bool](repeating: false, count: sources.count)
            // A buffered (TPACKET_V3) handle may hold packets without the fd polling ready
            // until its timeout; drain every handle each turn, it costs one syscall.
            for (i, source) in sources.enumerated() {
                let room = readChunk - merge.heldCount(i)
                guard room > 0 else {
                    mayHaveMore[i] = true
                    continue
                }
                var got = 0
                let n = source.drain(limit: room, keepBytes: keepBytes) { pkt, decoded in
                    merge.add(Item(packet: pkt, decoded: decoded), stream: i)
                    got += 1
                }
                if n < 0 { lost.append(i) } else { mayHaveMore[i] = got >= room }
            }
            behind = mayHaveMore.contains(true)
            let wall = Timestamp.now
            let cap = Int64(wall.seconds) * 1_000_000 + Int64(wall.micros) - holdMicros
            if merge.release(mayHaveMore: mayHaveMore, cap: cap, emit) > 0 || merge.heldCount == 0 {
                lastRelease = Monotonic.now
            } else if Monotonic.now - lastRelease > 1 {
                // Nothing released for a second (the clock stepped back past what is held):
                // hand everything on rather than hold it for as long as the step.
                merge.releaseAll(emit)
                lastRelease = Monotonic.now
            }
            caughtUpTo = behind ? lastHandedOn : nil
            checkDrops()
            if limitReached() { return }
            // Events are read every turn too: the poll result is only a wake-up.
            for source in conntrack {
                let before = source.overruns
                let now = Timestamp.now
                _ = source.drain { event in
                    conntrackEvents += 1
                    if !backlog.isEmpty, event.id != 0 {
                        // Bounded: a flood that keeps a backlog alive must not grow it without end.
                        if liveWhileBacklogged.count >= 65_536 { liveWhileBacklogged.removeAll() }
                        liveWhileBacklogged.insert(ConntrackKey(netns: source.netns, id: event.id))
                    }
                    handle(.conntrack(netns: source.netns, event, seconds: now.seconds, micros: now.micros))
                }
                if source.overruns != before { handle(.conntrackLost(netns: source.netns, overruns: source.overruns)) }
                if let entries = source.resynchroniseIfDue(now: Monotonic.now) {
                    // A newer dump supersedes what is left of an older one of the same namespace.
                    backlog.removeAll { $0.netns == source.netns }
                    let now = Timestamp.now
                    backlog.append((source.netns, entries, 0, (now.seconds, now.micros)))
                }
            }
            handBacklogOn()
            for i in lost.reversed() {
                // What it captured before it went is still handed on.
                merge.remove(stream: i, emit)
                handle(.pointLost(sources[i].point, reason: sources[i].lastError))
                sources.remove(at: i)
                drops.remove(at: i)
            }
            turnEnded()
        }
    }
}

/// Seconds on the monotonic clock: intervals, deadlines, redraw ticks.
public enum Monotonic {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// SIGINT, SIGTERM and SIGHUP (the terminal was closed) only set a flag; the loop notices
/// within its poll timeout and returns, so the caller's cleanup runs (trace tables removed,
/// terminal restored) instead of the default action killing the process with it undone.
/// A SIGHUP ignored at start (`nohup`) stays ignored: that run asked to outlive its terminal.
public enum StopSignal {
    public static var requested: Bool { CHoptraceShims_stop_signal() != 0 }

    /// Called by `CaptureLoop.run`; a caller that changes the system before the loop starts
    /// (explain mode's tables) calls it first. The same C handlers and flag as the live view's
    /// terminal (stop.c): installing again is harmless, and never replaces one with another.
    public static func install() {
        _ = CHoptraceShims_install_stop_handlers()
    }
}

/// RFC 3339-style UTC wall-clock time with microseconds: 12:00:00.123456 or the full date.
public enum Timestamp {
    public static var now: (seconds: Int, micros: Int) {
        var tv = timeval()
        gettimeofday(&tv, nil)
        return (tv.tv_sec, Int(tv.tv_usec))
    }

    public static func time(seconds: Int, micros: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let us = String(micros)
        return "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)).\(String(repeating: "0", count: max(0, 6 - us.count)))\(us)"
    }
}

public struct CaptureStats {
    public var points: [(point: CapturePoint, received: UInt32, dropped: UInt32)]
    public var conntrackEvents: Int
    public var conntrackOverruns: Int
}

/// A conntrack entry by namespace and id: what a dump and the live events both name.
struct ConntrackKey: Hashable {
    var netns: String?
    var id: UInt32
}
