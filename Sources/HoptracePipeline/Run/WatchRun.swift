import Glibc
import HoptraceCapture
import HoptraceCore
import HoptraceSystem

/// One `watch`: a capture (`capture()`, the live view or lines) or the replay of a recording,
/// with its lines written through `output`. Throws `CaptureError` and `RecordingError` with a
/// sentence for the user; lines earned before the error are written first.
public struct WatchRun {
    public let configuration: WatchConfiguration
    /// Where the line formats go: stdout, or memory in the tests.
    public let output: LineWriter

    public init(configuration: WatchConfiguration, output: LineWriter = LineWriter(fd: STDOUT_FILENO)) {
        self.configuration = configuration
        self.output = output
    }

    public func run() throws {
        if let path = configuration.readFile {
            try replay(path)
        } else {
            try capture()
        }
    }

    /// The sink of the line format asked for, writing to `output`; none for the live view.
    func lineSink() -> (any EventSink)? {
        switch configuration.format {
        case .json: return JSONSink(output)
        case .text: return TextSink(output)
        case .flows: return FlowsSink(output)
        case .liveView: return nil
        }
    }

    /// `-r FILE`: the same pipeline over a recording (see `WatchReplay`).
    func replay(_ path: String) throws {
        defer { output.flush() }
        let recording = WatchReplay(path: path, lossTimeout: configuration.lossTimeout, maxFlows: configuration.maxFlows,
                                    count: configuration.count)
        // A recording is someone else's bytes: read them with no privileges at all.
        try recording.run(sinks: lineSink().map { [$0] } ?? [],
                          opened: { if configuration.dropsPrivileges { report(Privileges.dropAll()) } },
                          stop: { output.readerGone })
    }

    /// A drop that left a thread holding more is a warning (the run is still correct, only less
    /// confined); `--debug-caps` prints every thread's credentials (the tests read them).
    func report(_ outcome: Privileges.Outcome) {
        for step in outcome.steps { Console.err("hoptrace: warning: dropping privileges: \(step)") }
        for t in outcome.threadsHoldingMore {
            Console.err("hoptrace: warning: thread \(t.tid) still holds \(t.credentials.summary)")
        }
        guard configuration.debugCaps else { return }
        for t in Privileges.eachThread() { Console.err("hoptrace: caps: tid \(t.tid) \(t.credentials.summary)") }
    }
}
