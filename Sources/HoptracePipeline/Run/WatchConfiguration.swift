import HoptraceCore
import HoptraceLab

/// Everything a `watch` run needs, resolved and validated by the command: what to watch,
/// what to write, when to stop. The defaults are the command's.
public struct WatchConfiguration {
    /// What goes to stdout: lines in one of three formats, or nothing (the live view).
    public enum Format: Sendable { case json, text, flows, liveView }

    public var format: Format
    /// The capture points (from -i, --netns, --lab); none with `readFile`.
    public var points: [CapturePoint] = []
    /// Containers named or watched (`--container`, `--docker`, `-i web:eth0`): the engines are
    /// looked at during the run, and a container that starts or stops is reported.
    public var containerWatch: ContainerWatch?
    /// docker-proxy processes: the two flows of each connection they relay are paired.
    public var proxies: [UserlandProxy] = []
    /// The lab whose knobs the live view's keys turn (`--lab`, or plain `hoptrace` on a lab that is up).
    public var lab: LabTopology?
    /// The tcpdump filter expression ("" captures everything).
    public var filter = ""
    public var lossTimeout: Double = 1
    public var maxFlows = 50_000
    public var statsInterval: Double = 5
    public var noConntrack = false
    public var conntrackBufferKiB: Int32 = 65536
    /// `--summary`: totals on stderr at the end.
    public var summary = false
    /// Stop after this many packets, or seconds.
    public var count: Int?
    public var duration: Double?
    public var bufferSizeMiB: Int32 = 32
    /// `-w FILE` (with `force`: replace a regular file).
    public var writeFile: String?
    public var force = false
    /// `-r FILE`: replay this recording instead of capturing.
    public var readFile: String?
    /// `--explain`: trace every new flow with nftables.
    public var explain = false
    /// The kernel's drop reasons from a tracefs instance of hoptrace's own (`--no-drop-reasons`: none).
    public var dropReasons = true
    /// Live view: redraws per second at most, colours, control flows listed one by one (`--all`).
    public var refresh: Double = 10
    public var color = true
    public var showControl = false
    /// `--debug-caps`: every thread's credentials on stderr after the drop.
    public var debugCaps = false
    /// A capture keeps only the capabilities it still needs once its handles are open; a replay
    /// keeps none. Off only in tests that replay in-process: the drop would be the test runner's.
    public var dropsPrivileges = true

    public init(format: Format) { self.format = format }
}
