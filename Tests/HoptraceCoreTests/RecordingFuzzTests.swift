import Foundation
import HoptraceCore
import Testing

/// Hostile recordings made from good ones. A recording is anybody's bytes (`watch -r` runs as
/// root on files other people hand over), so a seeded, structure-aware mutator takes the golden
/// recordings (Tests/Fixtures/scenarios/*.pcapng) apart into their pcapng blocks, breaks them the
/// way a crafted or damaged file would, and feeds every mutant through the whole replay `watch -r`
/// runs, in-process: RecordingDecoder → Session (Correlator, Diagnoser) → the NDJSON and text lines.
///
/// What it checks:
/// - Nothing traps. An overflow, a bad index or a force-unwrap kills the test process, so the run
///   itself is the assertion; the seed is on stderr before the first mutant, so it can be repeated.
/// - Every NDJSON line parses as a JSON object (Foundation's JSONSerialization) with a type and a
///   time, and no line holds a character a terminal would obey (`TerminalText.isUnsafe`).
/// - A file the reader refuses is refused with a FormatError at an offset inside the file.
/// - The correlator stays within its bounds (`Correlator.sizes`) after every event.
/// - No mutant takes more than 5 s (a hang), and the process's peak RSS stays under 512 MiB
///   (issue 14: memory amplification from a recording). Debug-build times: generous on purpose.
///
/// Why a mutator in the suite and not libFuzzer: `-sanitize=fuzzer` needs a build configuration of
/// its own that CI would have to build as well; this runs in the ordinary `swift test`, the same
/// mutants every time. `HOPTRACE_FUZZ_COUNT` (default 2000, well under a minute in a debug build)
/// and `HOPTRACE_FUZZ_SEED` run more or other mutants (`scripts/fuzz`). `HOPTRACE_FUZZ_ONLY=N` runs
/// mutant N alone and saves it as a file for `hoptrace watch -r`; `HOPTRACE_FUZZ_VERBOSE=1` names
/// each mutant on stderr before it runs, so the last name before a trap is the mutant that trapped.
@Suite struct RecordingFuzzTests {
    typealias F = RecordingFuzz

    @Test func mutatedRecordingsNeverTrapAndEveryLineIsValid() throws {
        let settings = try F.Settings.fromEnvironment()
        let corpus = try F.Corpus.load()
        let topologies = F.TopologyCache()
        let indices = settings.only.map { $0..<($0 + 1) } ?? 0..<settings.count
        F.log("RecordingFuzzTests: seed \(settings.seedText), \(indices.count) mutants of \(corpus.recordings.count) recordings"
            + " (HOPTRACE_FUZZ_SEED, HOPTRACE_FUZZ_COUNT; one alone: HOPTRACE_FUZZ_ONLY=N)")
        let clock = ContinuousClock()
        let start = clock.now
        var tally = F.Tally()
        for index in indices {
            var mutator = F.Mutator(seed: settings.seed, index: index, corpus: corpus)
            let mutant = mutator.mutant()
            if settings.verbose || settings.only != nil {
                F.log("mutant \(index): \(mutant.operations.joined(separator: "; "))")
            }
            if settings.only != nil {
                let path = try F.save(mutant.bytes, seed: settings.seed, index: index)
                F.log("saved as \(path)")
            }
            let began = clock.now
            let outcome = F.Replay(mutant.options, topologies: topologies).run(mutant.bytes)
            tally.add(outcome, index: index, took: began.duration(to: clock.now))
            guard !outcome.problems.isEmpty else { continue }
            tally.failed += 1
            let saved = (try? F.save(mutant.bytes, seed: settings.seed, index: index)) ?? "(could not save it)"
            Issue.record("""
                mutant \(index) of seed \(settings.seedText): \(outcome.problems.prefix(3).joined(separator: " | "))
                made by: \(mutant.operations.joined(separator: "; "))
                saved as \(saved); alone: HOPTRACE_FUZZ_SEED=\(settings.seedText) HOPTRACE_FUZZ_ONLY=\(index)
                """)
            if tally.failed >= 10 { break }
        }
        F.log("RecordingFuzzTests: \(tally.summary), in \(start.duration(to: clock.now))")
        #expect(tally.slowest < .seconds(5), "mutant \(tally.slowestMutant) took \(tally.slowest): a hang")
        #expect(F.peakRSSMiB() < 512, "peak RSS \(F.peakRSSMiB()) MiB")
        // The correlator re-keys a flow to conntrack's tuples without leaving the old keys behind.
        #expect(tally.staleKeyMutants == 0, "stale key-index entries after \(tally.staleKeyMutants) mutants (first: \(tally.firstStaleKeyMutant ?? -1))")
        // The mutator must reach past the reader, or it tests nothing but the reader.
        if settings.only == nil && tally.mutants >= 200 {
            #expect(tally.replayedWhole * 10 >= tally.mutants, "too few mutants read to the end: \(tally.summary)")
            #expect(tally.flowLines > 0, "no flow line at all: \(tally.summary)")
        }
    }

    /// The stale key-index entries the fuzz test counts, made directly: one conntrack entry whose
    /// reply tuple changes with every UPDATE (as a crafted recording can say) should leave the
    /// flow with its two keys, not one more per UPDATE.
    @Test func aConntrackEntryWhoseTuplesChangeLeavesNoStaleKeys() {
        let c = Correlator(paths: UnknownPaths())
        let a = IPAddress.v4(IPv4Address(0xAC12_0003)), b = IPAddress.v4(IPv4Address(0xAC1F_2DAE))
        let orig = ConntrackEvent.Tuple(src: a, dst: b, sport: 40000, dport: 80)
        let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
        for i in 0..<100 {
            let reply = ConntrackEvent.Tuple(src: b, dst: a, sport: 80, dport: UInt16(1000 + i))
            let e = ConntrackEvent(kind: i == 0 ? .new : .update, proto: 6, orig: orig, reply: reply, status: 1 << 3)
            _ = c.ingest(conntrack: e, netns: "hthost", time: t0.adding(micros: Int64(i)))
        }
        #expect(c.sizes.keyIndex <= 2 * c.sizes.flows, "\(c.sizes.keyIndex) key-index entries for \(c.sizes.flows) flow(s)")
    }

    /// The systematic part: each golden recording cut at every block boundary and one byte either
    /// side. At a boundary the file is whole blocks and replays without error; beside one, the
    /// reader names the block that was cut, at an offset before the cut.
    @Test func aCutAtABlockBoundaryReplaysAndACutBesideOneIsNamed() throws {
        let corpus = try F.Corpus.load()
        let topologies = F.TopologyCache()
        for recording in corpus.recordings {
            let file = F.Block.serialize(recording.blocks)
            let boundaries = Set(file.starts)
            let cuts = Set(file.starts.flatMap { [$0 - 1, $0, $0 + 1] }).filter { $0 > 0 && $0 <= file.bytes.count }.sorted()
            for cut in cuts {
                let outcome = F.Replay(.plain, topologies: topologies).run(Array(file.bytes.prefix(cut)))
                #expect(outcome.problems.isEmpty, "\(recording.name) cut at \(cut): \(outcome.problems)")
                if boundaries.contains(cut) {
                    #expect(outcome.formatError == nil, "\(recording.name) cut at the block boundary \(cut): \(String(describing: outcome.formatError))")
                } else {
                    #expect(outcome.formatError.map { $0.offset < cut } == true,
                            "\(recording.name) cut at \(cut), inside a block: \(String(describing: outcome.formatError))")
                }
            }
        }
    }
}

/// The mutator and the replay behind RecordingFuzzTests.
enum RecordingFuzz {
    /// stderr, unbuffered: still there when a trap ends the process.
    static func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// This process's peak resident memory (getrusage's ru_maxrss, KiB on Linux), in MiB.
    static func peakRSSMiB() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss / 1024
    }

    /// Writes a mutant where `hoptrace watch -r` can read it.
    static func save(_ bytes: [UInt8], seed: UInt64, index: Int) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hoptrace-fuzz-\(String(seed, radix: 16))-\(index).pcapng")
        try Data(bytes).write(to: url)
        return url.path
    }

    // MARK: - Settings

    struct Settings {
        /// "hoptrace" in ASCII.
        static let defaultSeed: UInt64 = 0x686F_7074_7261_6365
        /// A few thousand mutants: well under a minute in a debug build on two cores (the run prints its time).
        static let defaultCount = 2000

        var seed = Settings.defaultSeed
        var count = Settings.defaultCount
        var only: Int?
        var verbose = false

        var seedText: String { "0x" + String(seed, radix: 16) }

        struct Unreadable: Error, CustomStringConvertible {
            var name: String
            var value: String
            var description: String { "\(name)=\(value): expected a number (decimal, or hex with 0x)" }
        }

        static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
            func number(_ name: String) throws -> UInt64? {
                guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
                let text = raw.lowercased()
                let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
                guard let value else { throw Unreadable(name: name, value: raw) }
                return value
            }
            var s = Settings()
            if let seed = try number("HOPTRACE_FUZZ_SEED") { s.seed = seed }
            // Bounded so that a range over them cannot overflow.
            if let count = try number("HOPTRACE_FUZZ_COUNT") { s.count = Int(min(count, 1 << 40)) }
            if let only = try number("HOPTRACE_FUZZ_ONLY") { s.only = Int(min(only, 1 << 40)) }
            let verbose = environment["HOPTRACE_FUZZ_VERBOSE"] ?? ""
            s.verbose = !verbose.isEmpty && verbose != "0"
            return s
        }
    }

    struct Tally {
        var mutants = 0
        var replayedWhole = 0
        var refused = 0
        var events = 0
        var lines = 0
        var flowLines = 0
        var failed = 0
        /// Mutants after which the key index held entries no flow has, and the first of them.
        var staleKeyMutants = 0
        var firstStaleKeyMutant: Int?
        var slowest: Duration = .zero
        var slowestMutant = -1

        mutating func add(_ o: Replay.Outcome, index: Int, took: Duration) {
            mutants += 1
            if took > slowest {
                slowest = took
                slowestMutant = index
            }
            if o.staleKeys > 0 {
                staleKeyMutants += 1
                if firstStaleKeyMutant == nil { firstStaleKeyMutant = index }
            }
            if o.formatError == nil { replayedWhole += 1 } else { refused += 1 }
            events += o.events
            lines += o.lines
            flowLines += o.flowLines
        }

        var summary: String {
            var s = "\(mutants) mutants: \(replayedWhole) read to the end, \(refused) refused with a format error; "
            s += "\(events) events, \(lines) lines (\(flowLines) flow lines) checked; \(failed) failed; "
            s += "\(staleKeyMutants) left stale key-index entries"
            if let first = firstStaleKeyMutant { s += " (first: mutant \(first))" }
            s += "; slowest mutant \(slowestMutant): \(slowest); peak RSS \(RecordingFuzz.peakRSSMiB()) MiB"
            return s
        }
    }

    // MARK: - pcapng blocks

    /// One pcapng block (draft-ietf-opsawg-pcapng §3.1): type u32, total length u32, body padded
    /// to 32 bits, total length again. Types and layouts are the draft's (§4.1 section header,
    /// §4.2 interface description, §4.3 enhanced packet, §4.8 custom); hoptrace's custom payloads
    /// are documented in ConntrackRecord, CaptureLossRecord and NamespaceSources.
    struct Block {
        static let sectionType: UInt32 = 0x0A0D_0D0A
        static let interfaceType: UInt32 = 1
        static let packetType: UInt32 = 6
        /// The custom block that must not be copied (0x40000BAD) and the one that may (0x00000BAD).
        static let customType: UInt32 = 0x4000_0BAD
        static let copyableCustomType: UInt32 = 0x0000_0BAD
        /// The Private Enterprise Number hoptrace writes: 32473, RFC 5612's documentation number.
        static let enterpriseNumber: UInt32 = 32473
        /// Payload markers: a topology record starts with 'T', a capture loss record with 'L',
        /// a conntrack record with its version (1).
        static let topologyMarker: UInt8 = 0x54
        static let lossMarker: UInt8 = 0x4C

        var type: UInt32
        var body: [UInt8]

        static func custom(_ payload: [UInt8], type: UInt32 = Block.customType, enterprise: UInt32 = Block.enterpriseNumber) -> Block {
            Block(type: type, body: LE.u32(enterprise) + payload)
        }

        /// A custom block's payload (after its enterprise number); nil for any other block.
        var payload: [UInt8]? {
            guard type == Self.customType || type == Self.copyableCustomType, body.count >= 4 else { return nil }
            return Array(body[4...])
        }

        /// The block as a file holds it. Big-endian: as a big-endian machine writes it (`bigEndian()` first).
        func bytes(bigEndian: Bool) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let total = UInt32(truncatingIfNeeded: 12 + padded.count)
            if bigEndian { return BE.u32(type) + BE.u32(total) + padded + BE.u32(total) }
            return LE.u32(type) + LE.u32(total) + padded + LE.u32(total)
        }

        /// The blocks one after another, and where each starts (the file's length last).
        static func serialize(_ blocks: [Block], bigEndian: Bool = false) -> (bytes: [UInt8], starts: [Int]) {
            var bytes: [UInt8] = [], starts: [Int] = []
            for b in blocks {
                starts.append(bytes.count)
                bytes += bigEndian ? b.bigEndian().bytes(bigEndian: true) : b.bytes(bigEndian: false)
            }
            starts.append(bytes.count)
            return (bytes, starts)
        }

        /// A little-endian file's blocks; nil unless it is whole blocks from start to end.
        static func split(_ bytes: [UInt8]) -> [Block]? {
            var blocks: [Block] = [], at = 0
            while at < bytes.count {
                guard let type = LE.read32(bytes, at), let total = LE.read32(bytes, at + 4).map({ Int($0) }),
                      total >= 12, total % 4 == 0, at + total <= bytes.count else { return nil }
                blocks.append(Block(type: type, body: Array(bytes[(at + 8)..<(at + total - 4)])))
                at += total
            }
            return blocks
        }

        /// The body with every multi-byte field the reader reads in big-endian order (the
        /// section header's byte-order magic included, so the reader reads the rest that way).
        func bigEndian() -> Block {
            var b = body
            func reverseBytes(_ at: Int, _ width: Int) {
                guard at >= 0, at + width <= b.count else { return }
                b[at..<(at + width)].reverse()
            }
            func swapOptions(from start: Int) {
                var at = start
                while at + 4 <= b.count {
                    let code = UInt16(b[at]) | UInt16(b[at + 1]) << 8
                    let length = Int(UInt16(b[at + 2]) | UInt16(b[at + 3]) << 8)
                    reverseBytes(at, 2)
                    reverseBytes(at + 2, 2)
                    if code == 0 { return }
                    at += 4 + (length + 3) / 4 * 4
                }
            }
            switch type {
            case Self.sectionType:
                reverseBytes(0, 4)  // byte-order magic
                reverseBytes(4, 2)  // major version
                reverseBytes(6, 2)  // minor version
                reverseBytes(8, 8)  // section length
                swapOptions(from: 16)
            case Self.interfaceType:
                reverseBytes(0, 2)  // link type
                reverseBytes(2, 2)
                reverseBytes(4, 4)  // snap length
                swapOptions(from: 8)
            case Self.packetType:
                for at in stride(from: 0, to: 20, by: 4) { reverseBytes(at, 4) }  // interface, time high, time low, captured, wire
            case Self.customType, Self.copyableCustomType:
                reverseBytes(0, 4)  // enterprise number
            default:
                break
            }
            return Block(type: type, body: b)
        }

        /// An enhanced packet block's timestamp (units of its interface's resolution; µs as hoptrace writes).
        var packetTimestamp: UInt64 {
            get { UInt64(LE.read32(body, 4) ?? 0) << 32 | UInt64(LE.read32(body, 8) ?? 0) }
            set {
                LE.write32(UInt32(truncatingIfNeeded: newValue >> 32), &body, at: 4)
                LE.write32(UInt32(truncatingIfNeeded: newValue), &body, at: 8)
            }
        }
    }

    /// pcapng options (draft §3.5): code u16, length u16, value padded to 32 bits, up to opt_endofopt.
    struct Option {
        var code: UInt16
        var value: [UInt8]

        static func parse(_ body: [UInt8], from start: Int) -> [Option]? {
            guard start <= body.count else { return nil }
            var out: [Option] = [], at = start
            while let code = LE.read16(body, at), let length = LE.read16(body, at + 2).map({ Int($0) }), code != 0 {
                guard at + 4 + length <= body.count else { return nil }
                out.append(Option(code: code, value: Array(body[(at + 4)..<(at + 4 + length)])))
                at += 4 + (length + 3) / 4 * 4
            }
            return out
        }

        static func encode(_ options: [Option]) -> [UInt8] {
            var b: [UInt8] = []
            for o in options {
                b += LE.u16(o.code) + LE.u16(UInt16(truncatingIfNeeded: o.value.count)) + o.value
                b += [UInt8](repeating: 0, count: (4 - o.value.count % 4) % 4)
            }
            return b + [0, 0, 0, 0]
        }
    }

    /// Little-endian fields, as PcapngWriter writes them.
    enum LE {
        static func u16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        static func u32(_ v: UInt32) -> [UInt8] { [0, 8, 16, 24].map { (s: UInt32) in UInt8(truncatingIfNeeded: v >> s) } }

        static func read16(_ b: [UInt8], _ at: Int) -> UInt16? {
            guard at >= 0, at + 2 <= b.count else { return nil }
            return UInt16(b[at]) | UInt16(b[at + 1]) << 8
        }

        static func read32(_ b: [UInt8], _ at: Int) -> UInt32? {
            guard at >= 0, at + 4 <= b.count else { return nil }
            return UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
        }

        static func write16(_ v: UInt16, _ b: inout [UInt8], at: Int) {
            guard at >= 0, at + 2 <= b.count else { return }
            b[at] = UInt8(truncatingIfNeeded: v)
            b[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
        }

        static func write32(_ v: UInt32, _ b: inout [UInt8], at: Int) {
            guard at >= 0, at + 4 <= b.count else { return }
            for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
        }
    }

    /// Network byte order, as hoptrace's custom payloads are written (and classic pcap from a big-endian host).
    enum BE {
        static func u16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        static func u32(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { (s: UInt32) in UInt8(truncatingIfNeeded: v >> s) } }
        static func u64(_ v: UInt64) -> [UInt8] { BE.u32(UInt32(truncatingIfNeeded: v >> 32)) + BE.u32(UInt32(truncatingIfNeeded: v)) }
    }

    // MARK: - The corpus

    struct Corpus {
        struct Recording {
            var name: String
            var blocks: [Block]
        }

        var recordings: [Recording]

        static let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scenarios")

        /// Every golden recording, in name order (the same corpus on every machine).
        static func load() throws -> Corpus {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".pcapng") }.sorted()
            var recordings: [Recording] = []
            for name in names {
                let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
                let blocks = try #require(Block.split(bytes), "\(name) is not whole pcapng blocks")
                recordings.append(Recording(name: name, blocks: blocks))
            }
            try #require(!recordings.isEmpty, "no recordings in \(directory.path)")
            return Corpus(recordings: recordings)
        }
    }

    // MARK: - The mutator

    struct Mutant {
        var bytes: [UInt8]
        /// What was done, in order: the reproduction recipe a failure prints.
        var operations: [String]
        var options: Replay.Options
    }

    /// Mutant `index` of `seed`: its own random stream, so any one can be made again alone.
    struct Mutator {
        private var rng: SplitMix64
        private let corpus: Corpus
        private var blocks: [Block] = []
        private var operations: [String] = []

        init(seed: UInt64, index: Int, corpus: Corpus) {
            rng = SplitMix64(seed: SplitMix64.mix(seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)))
            self.corpus = corpus
        }

        mutating func mutant() -> Mutant {
            let source = rng.below(corpus.recordings.count)
            blocks = corpus.recordings[source].blocks
            note("from \(corpus.recordings[source].name)")
            // Rare: each costs a good part of a second in a debug build.
            if rng.below(400) == 0 { hugeTopology() }
            let steps = 1 + rng.below(4)
            for _ in 0..<steps { structural() }
            let file: (bytes: [UInt8], starts: [Int])
            if rng.below(25) == 0 {
                file = classicPcap()
            } else if rng.below(10) == 0 {
                file = Block.serialize(blocks, bigEndian: true)
                note("written big-endian")
            } else {
                file = Block.serialize(blocks)
            }
            var bytes = file.bytes
            if rng.chance(35) { byteLevel(&bytes, file.starts) }
            if rng.chance(10) { byteLevel(&bytes, file.starts) }
            // Fed whole or in chunks (down to a byte at a time): the reader's buffering is part of the path.
            let chunk = rng.chance(60) ? max(1, bytes.count) : rng.chance(10) ? 1 + rng.below(16) : 1 + rng.below(4096)
            let maxFlows = rng.pick([2, 16, 50_000])
            let lossTimeout = rng.pick([1.0, 1.0, 0.000_001, 3600])
            let keepsPacketLog = rng.chance(50)
            note("replayed in chunks of \(chunk) bytes, max flows \(maxFlows), loss timeout \(lossTimeout) s")
            return Mutant(bytes: bytes, operations: operations,
                          options: Replay.Options(chunk: chunk, maxFlows: maxFlows, lossTimeout: lossTimeout, keepsPacketLog: keepsPacketLog))
        }

        private mutating func note(_ s: String) { operations.append(s) }

        private func indices(_ type: UInt32) -> [Int] { blocks.indices.filter { blocks[$0].type == type } }

        private func indices(payloadMarker marker: UInt8) -> [Int] { blocks.indices.filter { blocks[$0].payload?.first == marker } }

        private mutating func insert(_ block: Block, _ what: String) {
            let at = rng.below(blocks.count + 1)
            blocks.insert(block, at: at)
            note("\(what), inserted as block \(at)")
        }

        /// The time of a random packet of this recording (µs), to put new records near its events.
        private mutating func someTime() -> Int64 {
            let packets = indices(Block.packetType)
            guard let i = rng.element(packets) else { return 1_795_438_391_000_000 }
            return Int64(truncatingIfNeeded: blocks[i].packetTimestamp)
        }

        private static var latestMicros: Int64 { PcapngReader.recordableMicros.upperBound }

        // MARK: Block-level mutations

        private mutating func structural() {
            switch rng.below(100) {
            case 0..<18: flipBits()
            case 18..<27: packetTime()
            case 27..<31: timeResolution()
            case 31..<36: interfaceName()
            case 36..<40: linkType()
            case 40..<46: packetFields()
            case 46..<52: resizePacket()
            case 52..<57: duplicate()
            case 57..<60: remove()
            case 60..<65: move()
            case 65..<70: splice()
            case 70..<75: randomCustom()
            case 75..<81: conntrack()
            case 81..<86: retuple()
            case 86..<90: captureLoss()
            case 90..<98: topology()
            default: byteOrderMagic()
            }
        }

        /// A few bits of one block's body: mostly a packet's bytes (the decoders' part), else any block.
        private mutating func flipBits() {
            let packets = indices(Block.packetType).filter { blocks[$0].body.count > 20 }
            let all = Array(blocks.indices)
            let candidates = rng.chance(60) && !packets.isEmpty ? packets : all
            guard let i = rng.element(candidates), !blocks[i].body.isEmpty else { return }
            let count = blocks[i].body.count
            // In a packet block, mostly past its header (the reader's part is the rest).
            let deep = rng.chance(80)
            let from = packets.contains(i) && deep ? 20 : 0
            let flips = 1 + rng.below(8)
            for _ in 0..<flips {
                let at = from + rng.below(count - from)
                let bit = UInt8(1) << UInt8(rng.below(8))
                blocks[i].body[at] ^= bit
            }
            note("\(flips) bits flipped in block \(i) (type 0x\(String(blocks[i].type, radix: 16)))")
        }

        /// A packet's timestamp at an extreme (0, 2^63, UInt64.max, just past 9999, …), or every
        /// packet's moved by the same amount (a whole recording at the epoch or far in the future).
        private mutating func packetTime() {
            let packets = indices(Block.packetType).filter { blocks[$0].body.count >= 20 }
            guard let i = rng.element(packets) else { return }
            let original = blocks[i].packetTimestamp
            let latest = UInt64(Self.latestMicros)
            let random = rng.next()
            let extremes: [UInt64] = [
                0, 1, UInt64.max, 1 << 63, UInt64(Int64.max), (1 << 63) - 1, latest, latest + 1,
                UInt64(UInt32.max), UInt64(UInt32.max) + 1, original &+ 3_600_000_000, original &- 1_000_000, original / 2, random,
            ]
            let ts = rng.pick(extremes)
            if rng.chance(15) {
                for p in packets {
                    let moved = blocks[p].packetTimestamp &+ (ts &- original)
                    blocks[p].packetTimestamp = moved
                }
                note("every packet's timestamp moved by \(ts &- original) (block \(i) to \(ts))")
            } else {
                blocks[i].packetTimestamp = ts
                note("packet block \(i): timestamp \(ts)")
            }
        }

        /// An interface's if_tsresol: powers of 10 and of 2 up to and past what fits in 64 bits.
        private mutating func timeResolution() {
            let interfaces = indices(Block.interfaceType).filter { blocks[$0].body.count >= 8 }
            guard let i = rng.element(interfaces), var options = Option.parse(blocks[i].body, from: 8) else { return }
            let random = UInt8(truncatingIfNeeded: rng.next())
            let resolutions: [UInt8] = [0, 1, 3, 6, 9, 18, 19, 0x7F, 0x80, 0x80 | 20, 0x80 | 62, 0x80 | 63, 0xFF, random]
            let r = rng.pick(resolutions)
            let value: [UInt8] = rng.chance(90) ? [r] : []
            if let k = options.firstIndex(where: { $0.code == 9 }) {
                options[k].value = value
            } else {
                options.insert(Option(code: 9, value: value), at: 0)
            }
            blocks[i].body = Array(blocks[i].body[0..<8]) + Option.encode(options)
            note("interface block \(i): if_tsresol \(value)")
        }

        static let hostileNameTexts: [String] = [
            "", ":", "ns:", ":eth0", "eth0", "a:b:c", "htns1:eth0", "hthost:enX0", "ns:0123456789abcde", "ns:0123456789abcdef",
            "ns\u{1B}]0;owned\u{07}:eth0", "hthost:e\u{202E}th0", "\u{0}:\u{0}", "\u{9B}2J:\u{7F}", "/proc/1/ns/net:lo",
            String(repeating: "n", count: 4000) + ":eth0",
        ]
        /// The texts, and bytes that are not UTF-8 at all (a lone continuation, an encoded surrogate).
        static let hostileNames: [[UInt8]] = Mutator.hostileNameTexts.map { (s: String) -> [UInt8] in Array(s.utf8) }
            + [[0xC3, 0x28, 0x3A, 0xFF], [0xFF, 0xFE, 0xFD], [0xED, 0xA0, 0x80, 0x3A, 0x61]]

        /// An interface's if_name: another interface's (two points, one name), hostile text, or random bytes.
        private mutating func interfaceName() {
            let interfaces = indices(Block.interfaceType).filter { blocks[$0].body.count >= 8 }
            guard let i = rng.element(interfaces), var options = Option.parse(blocks[i].body, from: 8) else { return }
            let name: [UInt8]
            let other = rng.element(interfaces)
            if rng.chance(25), let other, let theirs = Option.parse(blocks[other].body, from: 8)?.first(where: { $0.code == 2 }) {
                name = theirs.value
            } else if rng.chance(20) {
                let n = rng.below(40)
                name = rng.bytes(n)
            } else {
                name = rng.pick(Self.hostileNames)
            }
            options.removeAll { $0.code == 2 }
            options.insert(Option(code: 2, value: name), at: 0)
            blocks[i].body = Array(blocks[i].body[0..<8]) + Option.encode(options)
            note("interface block \(i) named \(String(decoding: name.prefix(40), as: UTF8.self).debugDescription)")
        }

        /// An interface's link type (the packets then decode as something else) or snap length.
        private mutating func linkType() {
            let interfaces = indices(Block.interfaceType).filter { blocks[$0].body.count >= 8 }
            guard let i = rng.element(interfaces) else { return }
            if rng.chance(75) {
                let random = UInt16(truncatingIfNeeded: rng.next())
                let types: [UInt16] = [1, 113, 276, 101, 12, 14, 228, 229, 0, 147, 0xFFFF, random]
                let type = rng.pick(types)
                LE.write16(type, &blocks[i].body, at: 0)
                note("interface block \(i): link type \(type)")
            } else {
                let random = UInt32(truncatingIfNeeded: rng.next())
                let snaps: [UInt32] = [0, 1, UInt32.max, 262_144, random]
                let snap = rng.pick(snaps)
                LE.write32(snap, &blocks[i].body, at: 4)
                note("interface block \(i): snap length \(snap)")
            }
        }

        /// A packet block's interface number, captured length or wire length: 0, off by one, past the block, huge.
        private mutating func packetFields() {
            let packets = indices(Block.packetType).filter { blocks[$0].body.count >= 20 }
            guard let i = rng.element(packets) else { return }
            let body = blocks[i].body
            let room = UInt32(truncatingIfNeeded: body.count - 20)
            let captured = LE.read32(body, 12) ?? 0
            let interfaces = UInt32(truncatingIfNeeded: indices(Block.interfaceType).count)
            let random = UInt32(truncatingIfNeeded: rng.next())
            let field: String, at: Int, choices: [UInt32]
            switch rng.below(3) {
            case 0:
                field = "interface"
                at = 0
                choices = [interfaces, interfaces &- 1, interfaces &+ 1, UInt32.max, 1 << 31, random % 8]
            case 1:
                field = "captured length"
                at = 12
                choices = [0, captured &- 1, captured &+ 1, room, room &+ 1, room &- 1, room &+ 4, UInt32.max, 1 << 31, 16 << 20]
            default:
                field = "wire length"
                at = 16
                choices = [0, 1, captured &- 1, captured, UInt32.max, 1 << 31, random]
            }
            let value = rng.pick(choices)
            LE.write32(value, &blocks[i].body, at: at)
            note("packet block \(i): \(field) \(value)")
        }

        /// A packet's bytes cut short, grown, or replaced by random ones (its lengths made to match).
        private mutating func resizePacket() {
            let packets = indices(Block.packetType).filter { blocks[$0].body.count >= 20 }
            guard let i = rng.element(packets) else { return }
            let body = blocks[i].body
            let captured = min(Int(LE.read32(body, 12) ?? 0), body.count - 20)
            var data = Array(body[20..<(20 + captured)])
            switch rng.below(3) {
            case 0:
                let n = rng.below(data.count + 1)
                data = Array(data.prefix(n))
                note("packet block \(i) cut to \(n) bytes")
            case 1:
                let n = 1 + rng.below(64)
                data += rng.bytes(n)
                note("packet block \(i) grown by \(n) random bytes")
            default:
                let n = rng.below(200)
                data = rng.bytes(n)
                note("packet block \(i) replaced by \(n) random bytes")
            }
            let wire = rng.chance(50) ? UInt32(data.count) : LE.read32(body, 16) ?? 0
            blocks[i].body = Array(body[0..<12]) + LE.u32(UInt32(data.count)) + LE.u32(wire) + data
        }

        private mutating func duplicate() {
            guard !blocks.isEmpty else { return }
            let i = rng.below(blocks.count)
            let copy = blocks[i]
            insert(copy, "copy of block \(i) (type 0x\(String(copy.type, radix: 16)))")
        }

        private mutating func remove() {
            guard blocks.count > 1 else { return }
            let i = rng.below(blocks.count)
            blocks.remove(at: i)
            note("block \(i) removed")
        }

        /// Out of order: a packet before its interface, topology after the packets, a conntrack event first.
        private mutating func move() {
            guard blocks.count > 1 else { return }
            let i = rng.below(blocks.count)
            let block = blocks.remove(at: i)
            let at = rng.below(blocks.count + 1)
            blocks.insert(block, at: at)
            note("block \(i) moved to \(at)")
        }

        /// Blocks of another recording: a few spliced in, or this one's head on the other's tail.
        private mutating func splice() {
            let other = corpus.recordings[rng.below(corpus.recordings.count)]
            if rng.chance(30) {
                let keep = rng.below(blocks.count + 1), from = rng.below(other.blocks.count + 1)
                blocks = Array(blocks.prefix(keep)) + Array(other.blocks.dropFirst(from))
                note("first \(keep) blocks, then \(other.name) from its block \(from)")
            } else {
                let n = 1 + rng.below(3)
                for _ in 0..<n {
                    guard let b = rng.element(other.blocks) else { break }
                    let at = rng.below(blocks.count + 1)
                    blocks.insert(b, at: at)
                }
                note("\(n) blocks of \(other.name) spliced in")
            }
        }

        /// A custom block of random bytes behind a marker hoptrace knows, or under another enterprise number.
        private mutating func randomCustom() {
            let markers: [[UInt8]] = [[Block.topologyMarker], [Block.topologyMarker, 1], [Block.lossMarker, 1], [1], [2], []]
            let marker = rng.pick(markers)
            let n = rng.below(200)
            let payload = marker + rng.bytes(n)
            let type = rng.chance(85) ? Block.customType : Block.copyableCustomType
            let randomNumber = UInt32(truncatingIfNeeded: rng.next())
            let enterprise = rng.chance(85) ? Block.enterpriseNumber : randomNumber
            insert(Block.custom(payload, type: type, enterprise: enterprise),
                   "custom block 0x\(String(type, radix: 16)) of \(payload.count) random bytes, enterprise \(enterprise)")
        }

        static let labAddresses: [IPAddress] = [0xAC12_0003, 0xAC12_0002, 0xAC1F_2DAE, 0xAC1F_2735]
            .map { (raw: UInt32) in IPAddress.v4(IPv4Address(raw)) }

        private mutating func address() -> IPAddress {
            switch rng.below(10) {
            case 0..<7: return rng.pick(Self.labAddresses)
            case 7, 8: return .v4(IPv4Address(UInt32(truncatingIfNeeded: rng.next())))
            default: return .v6(IPv6Address(high: rng.next(), low: rng.next()))
            }
        }

        private mutating func tuple() -> ConntrackEvent.Tuple {
            let src = address(), dst = address()
            switch rng.below(3) {
            case 0:
                let types: [UInt8] = [8, 0, 128, 129, 3, 11, UInt8(truncatingIfNeeded: rng.next())]
                let type = rng.pick(types)
                let code = UInt8(truncatingIfNeeded: rng.below(4))
                let ids: [UInt16] = [27, 0, UInt16.max, UInt16(truncatingIfNeeded: rng.next())]
                let id = rng.pick(ids)
                return ConntrackEvent.Tuple(src: src, dst: dst, icmp: (type: type, code: code, id: id))
            case 1:
                let ports: [UInt16] = [80, 47814, 53, 0, UInt16.max, UInt16(truncatingIfNeeded: rng.next())]
                let sport = rng.pick(ports), dport = rng.pick(ports)
                return ConntrackEvent.Tuple(src: src, dst: dst, sport: sport, dport: dport)
            default:
                return ConntrackEvent.Tuple(src: src, dst: dst)
            }
        }

        /// A new conntrack record: lab or random addresses, any kind and status, a time near the
        /// recording's or at an extreme; sometimes cut short.
        private mutating func conntrack() {
            let orig = tuple(), reply = tuple()
            let kinds: [ConntrackEvent.Kind] = [.new, .update, .destroy, .existing]
            let kind = rng.pick(kinds)
            let protos: [UInt8] = [1, 6, 17, 58, 132, UInt8(truncatingIfNeeded: rng.next())]
            let proto = rng.pick(protos)
            let randomStatus = UInt32(truncatingIfNeeded: rng.next())
            let statuses: [UInt32] = [0, 1 << 1 | 1 << 3, 1 << 1 | 1 << 3 | 1 << 4, 1 << 3 | 1 << 5, UInt32.max, randomStatus]
            let status = rng.pick(statuses)
            let tcpState: UInt8? = rng.chance(30) ? UInt8(truncatingIfNeeded: rng.next()) : nil
            let timeout: UInt32? = rng.chance(50) ? UInt32(truncatingIfNeeded: rng.next()) : nil
            let mark = UInt32(truncatingIfNeeded: rng.next()), id = UInt32(truncatingIfNeeded: rng.next())
            var event = ConntrackEvent(kind: kind, proto: proto, orig: orig, reply: reply, status: status,
                                       tcpState: tcpState, timeout: timeout, mark: mark, zone: 0, id: id)
            if rng.chance(30) {
                event.counters = .init(origPackets: rng.next(), origBytes: rng.next(), replyPackets: rng.next(), replyBytes: rng.next())
            }
            let base = someTime()
            let delta = Int64(rng.below(4_000_000)) - 2_000_000
            let randomTime = Int64(bitPattern: rng.next())
            let times: [Int64] = [base &+ delta, base &+ delta, base, 0, -1, Int64.min, Int64.max, 1 << 62,
                                  Self.latestMicros, Self.latestMicros + 1, randomTime]
            let micros = rng.pick(times)
            let namespaces: [String?] = [nil, "hthost", "hthost", "htns1", "htremote", "ns\u{1B}[2J", "", String(repeating: "x", count: 5000)]
            let netns = rng.pick(namespaces)
            var payload = ConntrackRecord(netns: netns, micros: micros, event: event).encoded
            var cut = ""
            if rng.chance(15) {
                let n = rng.below(payload.count + 1)
                payload = Array(payload.prefix(n))
                cut = ", cut to \(n) bytes"
            }
            insert(Block.custom(payload), "conntrack \(kind) proto \(proto) at \(micros) µs\(cut)")
        }

        /// An existing conntrack record with one field changed (a tuple, its kind, its protocol),
        /// in its place or as a copy after it: the same entry telling two stories.
        private mutating func retuple() {
            let records = blocks.indices.filter { i in
                blocks[i].payload.map { (try? ConntrackRecord(decoding: $0)) != nil } ?? false
            }
            guard let i = rng.element(records), let payload = blocks[i].payload,
                  var record = try? ConntrackRecord(decoding: payload) else { return }
            let what: String
            switch rng.below(6) {
            case 0:
                let port = UInt16(truncatingIfNeeded: rng.next())
                record.event.reply.dport = port
                if record.event.reply.sport == nil { record.event.reply.sport = port }
                what = "reply port \(port)"
            case 1:
                let a = address()
                record.event.reply.src = a
                what = "reply source \(a)"
            case 2:
                let a = address()
                record.event.orig.dst = a
                what = "original destination \(a)"
            case 3:
                let id = UInt16(truncatingIfNeeded: rng.next())
                record.event.reply.icmp = (type: 0, code: 0, id: id)
                what = "reply icmp id \(id)"
            case 4:
                let kinds: [ConntrackEvent.Kind] = [.new, .update, .destroy, .existing]
                record.event.kind = rng.pick(kinds)
                what = "kind \(record.event.kind)"
            default:
                let protos: [UInt8] = [1, 6, 17, 58, 0, 255]
                record.event.proto = rng.pick(protos)
                what = "proto \(record.event.proto)"
            }
            let changed = Block.custom(record.encoded)
            if rng.chance(50) {
                blocks[i] = changed
                note("conntrack block \(i): \(what)")
            } else {
                let at = i + 1 + rng.below(blocks.count - i)
                blocks.insert(changed, at: at)
                note("copy of conntrack block \(i) with \(what), as block \(at)")
            }
        }

        /// A capture loss record, written byte by byte (its time fields unclamped): a lab point
        /// or a hostile one, any count, times near the recording's or at the extremes, from after to.
        private mutating func captureLoss() {
            let points: [(netns: String?, iface: String)] = [
                ("htns1", "eth0"), ("hthost", "veth1"), ("hthost", "docker1"), ("hthost", "enX0"), ("htremote", "enX0"),
                (nil, "lo"), ("ns\u{1B}[2J", "e\u{7}th0"), ("", ""),
            ]
            let point = rng.pick(points)
            let base = UInt64(bitPattern: someTime())
            let latest = UInt64(Self.latestMicros)
            let randomTime = rng.next()
            let times: [UInt64] = [base, base &- 500_000, 0, UInt64.max, 1 << 63, UInt64(Int64.max), latest, latest + 1, randomTime]
            let from = rng.pick(times)
            let to = rng.chance(70) ? from &+ UInt64(rng.below(2_000_000)) : rng.pick(times)
            let randomCount = UInt32(truncatingIfNeeded: rng.next())
            let counts: [UInt32] = [0, 1, 1000, UInt32.max, randomCount]
            let dropped = rng.pick(counts)
            let version: UInt8 = rng.chance(90) ? 1 : 2
            var payload: [UInt8] = [Block.lossMarker, version]
            if let netns = point.netns {
                payload += BE.u16(UInt16(netns.utf8.count)) + Array(netns.utf8)
            } else {
                payload += [0xFF, 0xFF]
            }
            payload += BE.u16(UInt16(point.iface.utf8.count)) + Array(point.iface.utf8)
            payload += BE.u32(dropped) + BE.u64(from) + BE.u64(to)
            if rng.chance(10) {
                let n = rng.below(payload.count)
                payload = Array(payload.prefix(n))
            }
            insert(Block.custom(payload), "capture loss v\(version) at \(point.netns ?? "-"):\(point.iface.debugDescription), \(dropped) dropped from \(from) to \(to)")
        }

        static let hostileJSON: [String] = [
            "", " \n", "null", "{}", "[]", "[null]", "[1]", "[[]]", "[{}]", #""x""#, "[1,]", #"{"a":"#, "\u{FEFF}[]",
            #"[{"ifindex":1}]"#,
            #"[{"ifindex":1e300,"ifname":"x"}]"#,
            #"[{"ifindex":-1,"ifname":""}]"#,
            #"[{"ifindex":18446744073709551616,"ifname":"x"}]"#,
            #"[{"ifindex":2,"ifname":"a"},{"ifindex":2,"ifname":"a"}]"#,
            #"[{"ifindex":2,"ifname":"e\u001b[2J","flags":["UP"],"link_index":2,"link_netnsid":0,"linkinfo":{"info_kind":"veth"}}]"#,
            #"[{"ifindex":3,"ifname":"br","flags":["UP"],"master":"br","linkinfo":{"info_kind":"bridge"}}]"#,
            #"[{"ifindex":1,"addr_info":[{"local":"10.0.0.1","prefixlen":99}]}]"#,
            #"[{"ifindex":1,"addr_info":[{"local":"::ffff:1.2.3.4","prefixlen":-1}]}]"#,
            #"[{"ifindex":1,"addr_info":{}}]"#,
            #"[{"dst":"default","gateway":"not-an-ip"}]"#,
            #"[{"dst":"10.0.0.0/33"}]"#,
            #"[{"dst":"default","nexthops":[]}]"#,
            #"[{"dst":"default","nexthops":[{"dev":"eth0","gateway":"fe80::1"}]}]"#,
            #"[{"dst":"0.0.0.0/0","dev":"lo","type":"blackhole"},{"dst":"default","gateway":"127.0.0.1","dev":"lo"}]"#,
            #"[{"nsid":0,"name":"hthost"},{"nsid":0,"name":"htns1"}]"#,
            #"[{"nsid":-5}]"#,
            #"["\ud800"]"#,
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
            String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600),
        ]

        /// A topology record (NamespaceSources) with one part changed: its namespace's name
        /// (two records, one name), an `ip -j` output replaced by hostile JSON, bytes changed,
        /// a number made extreme, a string made hostile, entries doubled, output cut short.
        private mutating func topology() {
            let records = indices(payloadMarker: Block.topologyMarker)
            guard let i = rng.element(records), let payload = blocks[i].payload,
                  var sources = try? NamespaceSources(decoding: payload) else { return }
            let parts: [WritableKeyPath<NamespaceSources, [UInt8]>] = [\.link, \.addr, \.route, \.route6, \.nsid]
            let partNames = ["link", "addr", "route", "route6", "nsid"]
            let k = rng.below(parts.count)
            var blob = sources[keyPath: parts[k]]
            let what: String
            switch rng.below(8) {
            case 0:
                let names: [String?] = [nil, "hthost", "htns1", "htremote", "htns0", "", "ns\u{1B}[2J", String(repeating: "n", count: 300)]
                sources.name = rng.pick(names)
                what = "namespace named \(String(describing: sources.name).prefix(40).debugDescription)"
            case 1:
                let json = rng.pick(Self.hostileJSON)
                blob = Array(json.utf8)
                what = "\(partNames[k]) is \(json.prefix(60).debugDescription)"
            case 2:
                guard !blob.isEmpty else { return }
                let n = 1 + rng.below(4)
                for _ in 0..<n {
                    let at = rng.below(blob.count)
                    blob[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                what = "\(n) bytes of \(partNames[k]) changed"
            case 3:
                let runs = Self.digitRuns(blob)
                guard let run = rng.element(runs) else { return }
                let numbers = ["-1", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e300",
                               "1.5", "true", "null", #""7""#, "99999999999999999999999"]
                let number = rng.pick(numbers)
                blob.replaceSubrange(run, with: Array(number.utf8))
                what = "a number in \(partNames[k]) is \(number)"
            case 4:
                let forwards = ["1\n", "0", "", "2", "\u{0}", "1\n1\n", String(repeating: "1", count: 1000)]
                sources.ipForward = rng.pick(forwards)
                what = "ip_forward \(sources.ipForward.prefix(20).debugDescription)"
            case 5:
                let n = rng.below(blob.count + 1)
                blob = Array(blob.prefix(n))
                what = "\(partNames[k]) cut to \(n) bytes"
            case 6:
                // Every entry twice: duplicate ifindex, names, nsids.
                guard let open = blob.firstIndex(of: 0x5B), let close = blob.lastIndex(of: 0x5D), close - open > 1 else { return }
                let inner = Array(blob[(open + 1)..<close])
                blob = Array(blob[...open]) + inner + [0x2C] + inner + Array(blob[close...])
                what = "every entry of \(partNames[k]) twice"
            default:
                let strings = Self.stringContents(blob)
                guard let run = rng.element(strings) else { return }
                let texts = ["", #"e\u001b[2J"#, #"x\u202ey"#, String(repeating: "a", count: 300), "lo", "eth0", "docker1", "veth1",
                             "enX0", #"\ud800"#, "default", "::", "0.0.0.0/0"]
                let text = rng.pick(texts)
                blob.replaceSubrange(run, with: Array(text.utf8))
                what = "a string in \(partNames[k]) is \(text.prefix(40).debugDescription)"
            }
            sources[keyPath: parts[k]] = blob
            blocks[i] = Block.custom(sources.encoded)
            note("topology block \(i) (\(sources.name ?? "-")): \(what)")
        }

        static func digitRuns(_ b: [UInt8]) -> [Range<Int>] {
            var runs: [Range<Int>] = [], i = 0
            while i < b.count {
                guard (0x30...0x39).contains(b[i]) else {
                    i += 1
                    continue
                }
                let start = i
                while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
                runs.append(start..<i)
            }
            return runs
        }

        /// The insides of JSON strings (keys and values), escapes skipped over.
        static func stringContents(_ b: [UInt8]) -> [Range<Int>] {
            var out: [Range<Int>] = [], i = 0
            var start: Int?
            while i < b.count {
                if b[i] == 0x5C {
                    i += 2
                    continue
                }
                if b[i] == 0x22 {
                    if let s = start {
                        out.append(s..<i)
                        start = nil
                    } else {
                        start = i + 1
                    }
                }
                i += 1
            }
            return out
        }

        /// A big topology record: hundreds to thousands of veths (each the other's peer), addresses
        /// and routes, or a megabyte of one JSON array. What a recording may carry costs the
        /// replay; this keeps the cost in view (and the tally's time shows it).
        private mutating func hugeTopology() {
            let sizes = [300, 1000, 2000]
            let n = rng.pick(sizes)
            let names: [String?] = ["hthost", "htns1", "huge", nil]
            let name = rng.pick(names)
            if rng.chance(75) {
                insert(Block.custom(Self.manyLinks(n, name: name).encoded), "topology of \(n) veths in \(name ?? "-")")
            } else {
                let numbers = "[" + [String](repeating: "1", count: 250_000).joined(separator: ",") + "]"
                let sources = NamespaceSources(name: name, link: Array(numbers.utf8), addr: [], route: [], route6: [], nsid: [], ipForward: "1")
                insert(Block.custom(sources.encoded), "topology whose links are 250000 numbers")
            }
        }

        static func manyLinks(_ n: Int, name: String?) -> NamespaceSources {
            var link: [String] = [], addr: [String] = [], route: [String] = []
            for i in 1...n {
                let net = "10.\(i >> 8 & 255).\(i & 255)"
                link.append(#"{"ifindex":\#(i),"ifname":"v\#(i)","flags":["UP","LOWER_UP"],"link_index":\#(n + 1 - i),"link_netnsid":0,"linkinfo":{"info_kind":"veth"}}"#)
                addr.append(#"{"ifindex":\#(i),"addr_info":[{"local":"\#(net).1","prefixlen":24,"scope":"global"}]}"#)
                route.append(#"{"dst":"\#(net).0/24","dev":"v\#(i)","type":"unicast"}"#)
            }
            route.append(#"{"dst":"default","gateway":"10.0.1.254","dev":"v1"}"#)
            func array(_ entries: [String]) -> [UInt8] { Array(("[" + entries.joined(separator: ",") + "]").utf8) }
            let nsid = Array(#"[{"nsid":0,"name":"\#(name ?? "huge")"}]"#.utf8)
            return NamespaceSources(name: name, link: array(link), addr: array(addr), route: array(route), route6: [], nsid: nsid, ipForward: "1\n")
        }

        /// The section header's byte-order magic says big-endian; the blocks stay little-endian.
        private mutating func byteOrderMagic() {
            let sections = indices(Block.sectionType).filter { blocks[$0].body.count >= 4 }
            guard let i = rng.element(sections) else { return }
            blocks[i].body[0..<4].reverse()
            note("section block \(i): byte-order magic reversed")
        }

        // MARK: File-level mutations

        /// The packets as a classic pcap file (pcap-savefile(5)): µs or ns, either byte order,
        /// one link type for all, seconds and fractions sometimes at their maximum.
        private mutating func classicPcap() -> (bytes: [UInt8], starts: [Int]) {
            let big = rng.chance(50), nanos = rng.chance(50)
            func u16(_ v: UInt16) -> [UInt8] { big ? BE.u16(v) : LE.u16(v) }
            func u32(_ v: UInt32) -> [UInt8] { big ? BE.u32(v) : LE.u32(v) }
            let firstLink = blocks.first { $0.type == Block.interfaceType }.flatMap { LE.read16($0.body, 0) }.map { UInt32($0) } ?? 1
            let randomLink = UInt32(truncatingIfNeeded: rng.next())
            let links: [UInt32] = [firstLink, firstLink, 1, 113, 276, 101, randomLink]
            let link = rng.pick(links)
            var bytes = u32(nanos ? 0xA1B2_3C4D : 0xA1B2_C3D4) + u16(2) + u16(4) + u32(0) + u32(0) + u32(262_144) + u32(link)
            var starts = [0, bytes.count]
            for b in blocks where b.type == Block.packetType && b.body.count >= 20 {
                let ts = b.packetTimestamp
                var seconds = UInt32(truncatingIfNeeded: ts / 1_000_000)
                var fraction = UInt32(truncatingIfNeeded: ts % 1_000_000) * (nanos ? 1000 : 1)
                if rng.below(20) == 0 { seconds = UInt32.max }
                if rng.below(20) == 0 { fraction = UInt32.max }
                let captured = min(Int(LE.read32(b.body, 12) ?? 0), b.body.count - 20)
                let wire = LE.read32(b.body, 16) ?? 0
                bytes += u32(seconds) + u32(fraction) + u32(UInt32(captured)) + u32(wire) + Array(b.body[20..<(20 + captured)])
                starts.append(bytes.count)
            }
            note("as classic pcap, \(big ? "big" : "little")-endian, \(nanos ? "ns" : "µs"), link type \(link)")
            return (bytes, starts)
        }

        /// Byte-level damage at a block boundary: a cut one byte either side, a length field
        /// made 0, huge or off by one, garbage between blocks, or random bytes anywhere.
        private mutating func byteLevel(_ bytes: inout [UInt8], _ starts: [Int]) {
            guard !bytes.isEmpty, let boundary = rng.element(starts) else { return }
            switch rng.below(5) {
            case 0:
                let offsets = [-1, 0, 1]
                let cut = min(bytes.count, max(0, boundary + rng.pick(offsets)))
                bytes = Array(bytes.prefix(cut))
                note("cut at byte \(cut)")
            case 1, 2:
                // The leading length (at +4) or, of the block before this boundary, the trailing one (at -4).
                let leading = rng.chance(50)
                let at = leading ? boundary + 4 : boundary - 4
                guard let length = LE.read32(bytes, at) else { return }
                let random = UInt32(truncatingIfNeeded: rng.next())
                let choices: [UInt32] = [0, 4, 8, 12, 16, length &- 4, length &+ 4, length &- 1, length &+ 1, UInt32.max,
                                         16 << 20, (16 << 20) + 4, 1 << 31, random]
                let value = rng.pick(choices)
                LE.write32(value, &bytes, at: at)
                note("\(leading ? "leading" : "trailing") length at byte \(at): \(value)")
            case 3:
                let n = 1 + rng.below(64)
                let garbage = rng.bytes(n)
                bytes.insert(contentsOf: garbage, at: min(boundary, bytes.count))
                note("\(n) random bytes inserted at byte \(min(boundary, bytes.count))")
            default:
                let n = 1 + rng.below(16)
                for _ in 0..<n {
                    let at = rng.below(bytes.count)
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                note("\(n) random bytes overwritten")
            }
        }
    }

    // MARK: - The replay

    /// Parsed topologies by their sources: most mutants leave the three topology records alone,
    /// and parsing them is the slowest part of a replay. A cache, not a shortcut: the same bytes
    /// parse to the same Topology, and every new set of bytes is parsed.
    final class TopologyCache {
        private struct Entry { var topology: Topology? }
        private var entries: [[[UInt8]]: Entry] = [:]

        func topology(_ sources: [NamespaceSources]) -> Topology? {
            let key = sources.map(\.encoded)
            if let hit = entries[key] { return hit.topology }
            let topology = try? Topology(sources.map { s throws(TopologyError) in try s.snapshot() })
            if entries.count >= 64 { entries.removeAll() }
            entries[key] = Entry(topology: topology)
            return topology
        }
    }

    /// `watch -r FILE` with `--json` and `--text` at once, in-process and with HoptraceCore alone
    /// (a copy of HoptracePipeline's WatchReplay and WatchPipeline, which this target does not import): the
    /// recording's topology gives the paths, the clock is the events' time, verdicts due before an
    /// event are settled first, problem verdicts are diagnosed, and at the end the clock runs on by
    /// the loss timeout (then to the end of time). Every line is checked as it is made.
    final class Replay {
        struct Options {
            var chunk: Int
            var maxFlows: Int
            var lossTimeout: Double
            var keepsPacketLog: Bool

            static let plain = Options(chunk: Int.max, maxFlows: 50_000, lossTimeout: 1, keepsPacketLog: false)
        }

        struct Outcome {
            var formatError: PcapngReader.FormatError?
            var events = 0
            var lines = 0
            var flowLines = 0
            /// The most key-index entries beyond two per flow seen at any point (see `checkBounds`).
            var staleKeys = 0
            /// What was wrong (invalid lines, broken bounds, an error outside the file); empty when all was well.
            var problems: [String] = []
        }

        private let options: Options
        private let topologies: TopologyCache
        private let paths = SwitchablePaths()
        private var session: Session?
        private var points: [CapturePoint] = []
        private var topology: Topology?
        private var last = EventTime(micros: 0)
        private var outcome = Outcome()
        private var fileSize = 0

        init(_ options: Options, topologies: TopologyCache) {
            self.options = options
            self.topologies = topologies
        }

        func run(_ bytes: [UInt8]) -> Outcome {
            var decoder = RecordingDecoder()
            fileSize = bytes.count
            let chunk = max(1, options.chunk)
            var at = 0
            do {
                repeat {
                    let end = bytes.count - at <= chunk ? bytes.count : at + chunk
                    decoder.feed(Array(bytes[at..<end]))
                    at = end
                    while let event = try decoder.next() { handle(event) }
                } while at < bytes.count
                try decoder.finish()
            } catch {
                // The decoder throws only FormatError (typed throws).
                outcome.formatError = error
                if !(0...bytes.count).contains(error.offset) { problem("format error at offset \(error.offset), outside the \(bytes.count) bytes: \(error)") }
            }
            finish()
            return outcome
        }

        private func problem(_ s: String) {
            if outcome.problems.count < 20 { outcome.problems.append(s) }
        }

        /// Made with the first event, as `watch -r` makes its pipeline: the points are the recording's.
        private func pipeline() -> Session {
            if let session { return session }
            let s = Session(points: points, correlator: Correlator(paths: paths, lossTimeout: options.lossTimeout, maxFlows: options.maxFlows))
            s.keepsPacketLog = options.keepsPacketLog
            session = s
            return s
        }

        private var counters = CounterHistory()
        private var reasons = DropReasonHistory()

        private func handle(_ event: RecordingDecoder.Event) {
            outcome.events += 1
            switch event {
            case .interfaces(let list):
                points = list.map(\.point)
            case .topology(let topology):
                use(topology)
            case .packet(let point, let time, _, _, let decoded):
                let s = pipeline()
                settle(upTo: time)
                switch decoded {
                case .success(let p):
                    write(s.packet(p, at: point, time: time), time: time)
                    json(EventJSON.packet(p, at: point, seconds: time.seconds, micros: time.microsOfSecond, flow: s.correlator.lastFlowID), "packet")
                    text(PacketText.line(p, at: point, time: time.description), "packet")
                case .failure(let error):
                    s.malformed(at: point, time: time, error: error)
                    json(EventJSON.notice("malformed", netns: point.netns, seconds: time.seconds, micros: time.microsOfSecond,
                                          message: "\(point.iface): \(error)"), "malformed")
                }
            case .conntrack(let netns, let e, let time):
                let s = pipeline()
                settle(upTo: time)
                write(s.conntrack(e, netns: netns, time: time), time: time)
                json(EventJSON.conntrack(e, netns: netns, seconds: time.seconds, micros: time.microsOfSecond, flow: s.correlator.lastFlowID), "conntrack")
                text(ConntrackText.line(e, netns: netns, time: time.description), "conntrack")
            case .captureLoss(let r):
                let s = pipeline()
                s.correlator.captureLost(at: r.point, dropped: r.dropped, from: r.from, to: r.to)
                json(EventJSON.notice("capture-loss", netns: r.point.netns, seconds: r.to.seconds, micros: r.to.microsOfSecond,
                                      message: "\(r.point.iface): the kernel dropped \(r.dropped) packets"), "capture-loss")
            case .kernelCounters(let netns, let values, let time, _):
                // What a replay keeps of them: the history a verdict's count is taken from.
                counters.record(values: values, netns: netns, at: time)
                _ = counters.delta(in: netns, from: time.adding(seconds: -1))
            case .dropReasons(let r):
                for e in r.entries { reasons.append(e) }
                if let t = r.lostBefore { reasons.lost(before: t) }
                text(reasons.window(from: EventTime(micros: 0), to: EventTime(micros: EventTime.limit)).text(), "drop reasons")
            }
            checkBounds()
        }

        /// The recording's topology blocks, or why they were refused (past `TopologyLimits`): a
        /// warning, as `watch -r` gives, and the replay goes on without hop paths. (Overloaded on
        /// what `.topology` carries, so this file builds before and after the decoder refused blocks.)
        private func use(_ topology: Result<[NamespaceSources], PcapngReader.FormatError>) {
            switch topology {
            case .success(let sources):
                use(sources)
            case .failure(let refusal):
                _ = pipeline()
                if !(0...fileSize).contains(refusal.offset) {
                    problem("topology refused at offset \(refusal.offset), outside the \(fileSize) bytes: \(refusal)")
                }
                json(EventJSON.notice("topology", netns: nil, seconds: last.seconds, micros: last.microsOfSecond,
                                      message: "the recording's topology: \(refusal); hop paths unknown"), "topology refusal")
            }
        }

        /// The recording's topology: paths through its points (or, when it does not parse, paths unknown).
        private func use(_ sources: [NamespaceSources]) {
            let s = pipeline()
            guard let topology = topologies.topology(sources) else { return }
            self.topology = topology
            paths.current = TopologyPaths(topology, watched: Set(points))
            for (netns, d) in MissingDefaultRoute.diagnoses(topology) {
                json(DiagnosisJSON.line(d, netns: netns, time: last), "diagnosis")
            }
            s.correlator.topologyChanged()
        }

        private func settle(upTo time: EventTime) {
            guard let s = session, time > last else { return }
            write(s.advance(to: time), time: time)
            last = time
        }

        private func write(_ changes: [FlowChange], time: EventTime) {
            for change in changes {
                let change = diagnosed(change)
                json(FlowJSON.line(change, time: time), "flow")
                outcome.flowLines += 1
                text(FlowText.line(change.flow), "flow")
            }
        }

        /// As WatchPipeline does: a problem verdict gets its why and fix before it is written.
        private func diagnosed(_ change: FlowChange) -> FlowChange {
            guard let s = session, change.kind != .ended, change.flow.verdict.isProblem,
                  change.what.contains(.verdict) || change.flow.diagnosis == nil,
                  let d = Diagnoser.diagnose(flow: change.flow, topology: topology, traces: [], facts: FactsBook()),
                  d != change.flow.diagnosis, let f = s.correlator.annotate(change.flowID, with: d) else { return change }
            return FlowChange(kind: change.kind, flowID: change.flowID, what: change.what.union(.verdict),
                              mergedInto: change.mergedInto, changedFrom: change.changedFrom, flow: f)
        }

        private func finish() {
            guard let s = session else { return }
            let end = last.adding(seconds: options.lossTimeout).adding(micros: 1)
            write(s.advance(to: end), time: end)
            for f in s.correlator.allFlows where !f.ended {
                json(FlowJSON.line(f, time: end) { $0.add("event", "final") }, "final flow")
                text(FlowText.line(f), "final flow")
            }
            write(s.advance(to: .distantFuture), time: .distantFuture)
            checkBounds()
        }

        private func json(_ line: String, _ what: String) {
            outcome.lines += 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let fields = object as? [String: Any],
                  fields["type"] is String, fields["time"] is String else {
                problem("\(what) line is not a JSON object with a type and a time: \(line.prefix(300))")
                return
            }
            if line.unicodeScalars.contains(where: TerminalText.isUnsafe) {
                problem("\(what) line holds a character a terminal obeys: \(line.prefix(300).debugDescription)")
            }
        }

        private func text(_ line: String, _ what: String) {
            outcome.lines += 1
            if line.isEmpty || line.unicodeScalars.contains(where: TerminalText.isUnsafe) {
                problem("\(what) text line is empty or holds a character a terminal obeys: \(line.prefix(300).debugDescription)")
            }
        }

        /// The bounds `Correlator.sizes` reports, as CorrelatorBoundsTests states them: flows and
        /// the LRU within maxFlows, at most four key-index entries per flow, the timer heap at most
        /// twice the flows plus its compaction slack, journeys and events within their per-flow limits.
        private func checkBounds() {
            guard let c = session?.correlator else { return }
            let s = c.sizes
            let bounds: [(name: String, size: Int, limit: Int)] = [
                ("flows", s.flows, c.maxFlows),
                ("lru", s.lru, c.maxFlows),
                ("keyIndex", s.keyIndex, 4 * c.maxFlows),
                ("deadlines", s.deadlines, 2 * c.maxFlows + 4097),
                ("maxJourneys", s.maxJourneys, c.maxJourneysPerFlow),
                ("maxJourneyIndex", s.maxJourneyIndex, c.maxJourneysPerFlow),
                ("maxEvents", s.maxEvents, c.maxEventsPerFlow),
            ]
            for b in bounds where b.size > b.limit {
                problem("Correlator.sizes.\(b.name) is \(b.size), over its bound \(b.limit) (maxFlows \(c.maxFlows))")
            }
            // Tighter: a flow's keys are its orig and reply tuples (a key and its reverse
            // sharing an entry), so an index with nothing stale holds at most two entries per flow.
            outcome.staleKeys = max(outcome.staleKeys, s.keyIndex - 2 * s.flows)
        }
    }
}

extension SplitMix64 {
    /// SplitMix64's output function on its own: spreads nearby seeds (seed, index) far apart.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<n (0 when n ≤ 0); the modulo bias is of no matter here.
    mutating func below(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        return Int(truncatingIfNeeded: next() % UInt64(n))
    }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One of a non-empty list written in the source.
    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    mutating func element<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[below(xs.count)] }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<max(0, n)).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
