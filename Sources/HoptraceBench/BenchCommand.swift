import ArgumentParser
import Foundation
import Glibc

// hoptrace-bench: figures, not a timed test. Builds its own lab (prefix htb), then
// (a) sends UDP through ns1 → docker1 → enX0 → remote at rising rates while hoptrace
//     and tcpdump (one `tcpdump -n` per interface) capture on all five hop interfaces
//     side by side, and reports what each captured and dropped and hoptrace's CPU;
// (b) creates new NAT flows at rising rates while hoptrace and `conntrack -E` listen
//     in the host namespace, and reports the NEW events each saw.
// (c) runs the decoder and the correlator in-process with 1k/10k/100k live flows (first, before the lab);
// (d) measures the live view's CPU idle and with 10k flows and traffic (in tmux).
// Usage: hoptrace-bench [--rates 100000,200000] [--flow-rates 50000,100000] [--correlator-flows 1000,100000]
//                       [--modes flows,json] [--alone] [--ceiling] [--no-live-view] [--seconds 2]
//                       [--prefix htb] [--hoptrace PATH]
//        hoptrace-bench --dump-changes [8]   (no lab: correlator output for comparing two builds, see ChangeDump.swift)
//        hoptrace-bench --help               (every option with its default)
// An empty list skips that part (--rates "" runs no packet-rate test).

@main
struct HoptraceBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoptrace-bench",
        abstract: "Figures, not a timed test: hoptrace next to tcpdump and conntrack -E, on a lab of its own.",
        discussion: """
            First, in-process and without a lab:
            (c) the decoder, and the correlator with each --correlator-flows count of live flows.
            Then, on a lab of its own (hoptrace lab up --prefix PREFIX --scenario S2, removed afterwards):
            (a0) with --ceiling: the path's ceiling, five 'tcpdump -w /dev/null' and no hoptrace;
            (a) UDP through ns1 → docker1 → enX0 → remote at each --rates rate, hoptrace (in each --modes \
            mode) and five 'tcpdump -n' capturing side by side: captured, kernel drops, CPU;
            (b) new NAT flows at each --flow-rates rate: the NEW events hoptrace and 'conntrack -E' saw;
            (d) the live view's CPU idle and with 10k flows and traffic, in tmux.
            A list given as "" (--rates "") skips its part. The lab needs root, tcpdump, conntrack and tmux.
            """)

    @Option(help: "Packet rates for (a) and (a0), packets per second, comma-separated (\"\" skips them).")
    var rates = CommaList<Double>([50_000, 100_000, 200_000, 300_000, 400_000])

    @Option(help: "New-flow rates for (b), flows per second, comma-separated (\"\" skips it).")
    var flowRates = CommaList<Double>([25_000, 50_000, 100_000, 150_000])

    @Option(help: "Live flow counts for the correlator in (c), comma-separated (\"\" skips it).")
    var correlatorFlows = CommaList<Int>([1_000, 10_000, 100_000])

    @Option(help: "How hoptrace writes in (a) and (b), comma-separated, each run in turn: flows (decode + correlate, flow lines only: what the live view does), json (a line per packet as well).")
    var modes = CommaList<BenchMode>([.flows, .json])

    @Flag(help: "(a) with hoptrace alone, no tcpdump: its own ceiling without five tcpdumps competing for the CPUs.")
    var alone = false

    @Flag(help: "Run (a0) first: the path's ceiling at each --rates rate with five 'tcpdump -w /dev/null' and no hoptrace.")
    var ceiling = false

    @Flag(help: "Skip (d), the live view's CPU.")
    var noLiveView = false

    @Option(help: "Seconds per rate in (a0) and (a), per measurement in (c); (d) measures over twice this.")
    var seconds: Double = 2

    @Option(help: "Name prefix of the bench's own lab.")
    var prefix = "htb"

    @Option(help: ArgumentHelp("The hoptrace binary to measure (by default the one next to hoptrace-bench).", valueName: "path"))
    var hoptrace = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hoptrace").path

    @Option(defaultAsFlag: 8, help: ArgumentHelp(
        "No lab, nothing else: print the correlator's output for this many seeded runs, to compare two builds with cmp (see ChangeDump.swift).",
        valueName: "runs"))
    var dumpChanges: Int?

    func validate() throws {
        guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds takes a number of seconds above 0") }
        for (name, list) in [("--rates", rates), ("--flow-rates", flowRates)]
        where !list.values.allSatisfy({ $0 > 0 && $0.isFinite }) {
            throw ValidationError("\(name) takes rates above 0 per second")
        }
        guard correlatorFlows.values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--correlator-flows takes flow counts above 0")
        }
        if let runs = dumpChanges, runs < 1 { throw ValidationError("--dump-changes takes a number of runs of 1 or more") }
    }

    func run() throws {
        if let runs = dumpChanges {
            for seed in 1...UInt64(runs) { changeDump(seed: seed, withPaths: seed % 4 != 0) }
            return
        }
        let rates = self.rates.values, flowRates = self.flowRates.values, modes = self.modes.values
        let liveView = !noLiveView
        if !correlatorFlows.values.isEmpty {
            CorrelatorBench().run(flowCounts: correlatorFlows.values, seconds: seconds)
            if rates.isEmpty && flowRates.isEmpty && !liveView { return }
        }
        let lab = LabHandle(hoptrace: hoptrace, prefix: prefix)
        signal(SIGINT) { _ in BenchAbort.requested = 1 }
        do {
            try lab.up()
            defer { lab.down() }
            // The remote drops the load quietly: no ICMP port-unreachable flood coming back.
            try sh(["/usr/sbin/ip", "netns", "exec", "\(prefix)remote", "/usr/sbin/iptables", "-A", "INPUT", "-p", "udp", "-j", "DROP"])
            say("hoptrace-bench on \(ProcessInfo.processInfo.activeProcessorCount) CPUs; lab \(prefix); hoptrace \(hoptrace)")
            if ceiling {
                try PacketRateBench(prefix: prefix, hoptrace: hoptrace, seconds: seconds, mode: "").ceiling(rates: rates)
            }
            for mode in modes where !rates.isEmpty {
                var bench = PacketRateBench(prefix: prefix, hoptrace: hoptrace, seconds: seconds, mode: mode.watchFlag)
                bench.withTcpdump = !alone
                try bench.run(rates: rates)
            }
            for mode in modes where !flowRates.isEmpty {
                try FlowRateBench(prefix: prefix, hoptrace: hoptrace, mode: mode.watchFlag).run(rates: flowRates)
            }
            if liveView { try LiveViewBench(prefix: prefix, hoptrace: hoptrace, seconds: seconds).run(flows: 10_000, rate: 20_000) }
        } catch {
            FileHandle.standardError.write(Data("hoptrace-bench: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// How hoptrace writes while measured: the `hoptrace watch` flag of that name.
enum BenchMode: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// `--flows`: decode + correlate, flow lines only (what the live view does).
    case flows
    /// `--json`: a line per packet as well.
    case json

    var watchFlag: String { "--" + rawValue }
}

/// A comma-separated list option (`--rates 100000,300000`). The empty string is the empty
/// list: `--rates ""` skips that part. One bad item refuses the whole list.
struct CommaList<Element: ExpressibleByArgument & Sendable>: ExpressibleByArgument, Sendable {
    var values: [Element]

    init(_ values: [Element]) { self.values = values }

    init?(argument: String) {
        var values: [Element] = []
        for item in argument.split(separator: ",") {
            guard let value = Element(argument: String(item)) else { return nil }
            values.append(value)
        }
        self.values = values
    }

    /// The choices of one item (`--modes`: flows, json), for --help and the error.
    static var allValueStrings: [String] { Element.allValueStrings }

    /// As one would type it: "50000,100000", not Double's "50000.0,100000.0".
    var defaultValueDescription: String {
        values.map { value -> String in
            if let d = value as? Double, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return value.defaultValueDescription
        }.joined(separator: ",")
    }
}

enum BenchAbort {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0
}

struct LabHandle {
    let hoptrace: String
    let prefix: String
    func up() throws {
        let out = try Observed("lab-up", [hoptrace, "lab", "up", "--prefix", prefix, "--scenario", "S2"])
        guard out.process.wait().succeeded else { throw BenchError("lab up failed: \(out.stderr)") }
    }
    func down() {
        if let out = try? Observed("lab-down", [hoptrace, "lab", "down", "--prefix", prefix]) { out.process.wait() }
    }
}
