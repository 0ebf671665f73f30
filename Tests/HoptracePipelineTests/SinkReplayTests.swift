import Foundation
import HoptraceCapture
import HoptraceCore
import HoptracePipeline
import Testing

/// Every lab recording (scripts/record-fixtures) replayed in-process through `watch -r`'s own
/// run, each line sink writing into memory: the same bytes the binary prints, without the
/// binary, root or a terminal. GoldenReplayTests checks the same goldens through the executable.
@Suite struct SinkReplayTests {
    static let scenarios = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/scenarios")

    static func recording(_ name: String) -> String { scenarios.appendingPathComponent("\(name).pcapng").path }
    static func golden(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: scenarios.appendingPathComponent("\(name).flows.ndjson")))
    }

    /// What `watch -r PATH` in `format` writes to stdout. Privileges stay as they are: the
    /// drop would be the test runner's.
    static func replay(_ path: String, _ format: WatchConfiguration.Format) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = LineWriter { batch in
            bytes.append(contentsOf: batch)
            return true
        }
        var c = WatchConfiguration(format: format)
        c.readFile = path
        c.dropsPrivileges = false
        try WatchRun(configuration: c, output: writer).run()
        return bytes
    }

    /// The lines of `bytes`, each ended by a newline (none may be missing one).
    static func lines(_ bytes: [UInt8]) throws -> [String] {
        try #require(bytes.last == 0x0A, "the output ends with a newline")
        return bytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Where two outputs first differ, for the failure message.
    static func firstDifference(_ got: [UInt8], _ want: [UInt8]) -> String {
        let g = String(decoding: got, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let w = String(decoding: want, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for (i, (a, b)) in zip(g, w).enumerated() where a != b {
            return "line \(i + 1) differs:\n got  \(a)\n want \(b)"
        }
        return "\(g.count) lines, expected \(w.count)"
    }

    @Test func everyScenarioIsFound() {
        #expect(Scenarios.names.count >= 5, "recordings in \(Self.scenarios.path): \(Scenarios.names)")
    }

    @Test(arguments: Scenarios.names)
    func flowsSinkWritesTheCommittedLines(_ name: String) throws {
        let got = try Self.replay(Self.recording(name), .flows)
        let want = try Self.golden(name)
        #expect(got == want, "\(Self.firstDifference(got, want))")
    }

    @Test(arguments: Scenarios.names)
    func everyJSONLineIsAnObjectWithTypeAndTime(_ name: String) throws {
        struct Header: Decodable {
            let type: String
            let time: String
        }
        let lines = try Self.lines(Self.replay(Self.recording(name), .json))
        #expect(!lines.isEmpty)
        for line in lines {
            let header = try? JSONDecoder().decode(Header.self, from: Data(line.utf8))
            #expect(header != nil, "not an object with a type and a time: \(line)")
        }
        // Packets too, not only what --flows writes.
        let packets = lines.filter { $0.hasPrefix(#"{"type":"packet""#) }
        #expect(!packets.isEmpty)
    }

    @Test(arguments: Scenarios.names)
    func textLinesAreNonEmptyAndSafeForATerminal(_ name: String) throws {
        let lines = try Self.lines(Self.replay(Self.recording(name), .text))
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(!line.isEmpty)
            #expect(!line.unicodeScalars.contains(where: TerminalText.isUnsafe), "\(line)")
        }
    }

    /// `-w` during a replay is refused by the command, but the sink does not care where events
    /// come from: recorded again, a recording replays to the same flow lines.
    @Test(arguments: Scenarios.names)
    func recorderSinkRecordsAReplayThatReplaysTheSame(_ name: String) throws {
        let original = Self.recording(name)
        var interfaces: [RecordedInterface] = []
        var topology: [NamespaceSources] = []
        try ReplaySource(path: original).run(interfaces: { interfaces = $0 }, topology: { topology = (try? $0.get()) ?? [] }) { _ in }

        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("hoptrace-\(UUID().uuidString).pcapng").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let recorder = try CaptureRecorder(path: copy, replace: false, interfaces: interfaces)
        recorder.record(topology: topology)
        try WatchReplay(path: original).run(sinks: [RecorderSink(recorder)])
        try recorder.close()

        let again = try Self.replay(copy, .flows)
        let want = try Self.golden(name)
        #expect(again == want, "\(Self.firstDifference(again, want))")
    }
}

/// Every recording in Tests/Fixtures/scenarios, by name without the extension.
enum Scenarios {
    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: SinkReplayTests.scenarios.path)) ?? [])
        .filter { $0.hasSuffix(".pcapng") }
        .map { String($0.dropLast(".pcapng".count)) }
        .sorted()
}
