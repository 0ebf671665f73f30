import Foundation
import Glibc

// hoptrace-bench: figures, not a timed test. Builds its own lab (prefix htb), then
// (a) sends UDP through ns1 → docker1 → enX0 → remote at rising rates while hoptrace
//     and tcpdump (one `tcpdump -n` per interface) capture on all five hop interfaces
//     side by side, and reports what each captured and dropped and hoptrace's CPU;
// (b) creates new NAT flows at rising rates while hoptrace and `conntrack -E` listen
//     in the host namespace, and reports the NEW events each saw.
// (c) runs the decoder and the correlator in-process with 1k/10k/100k live flows;
// (d) measures the live view's CPU idle and with 10k flows and traffic (in tmux).
// Usage: hoptrace-bench [--rates 100000,200000] [--flow-rates 50000,100000] [--correlator-flows 1000,100000] [--seconds 2]
//        hoptrace-bench --dump-changes 8   (no lab: correlator output for comparing two builds, see ChangeDump.swift)
// An empty list skips that part (--rates "" runs no packet-rate test).

let options = BenchOptions(CommandLine.arguments.dropFirst())
if let runs = options.dumpChanges {
    for seed in 1...UInt64(max(1, runs)) { changeDump(seed: seed, withPaths: seed % 4 != 0) }
    exit(0)
}
if !options.correlatorFlows.isEmpty {
    CorrelatorBench().run(flowCounts: options.correlatorFlows, seconds: options.seconds)
    if options.rates.isEmpty && options.flowRates.isEmpty && !options.liveView { exit(0) }
}
let prefix = options.prefix
let hoptrace = options.hoptrace
let lab = LabHandle(hoptrace: hoptrace, prefix: prefix)
signal(SIGINT) { _ in BenchAbort.requested = 1 }
do {
    try lab.up()
    defer { lab.down() }
    // The remote drops the load quietly: no ICMP port-unreachable flood coming back.
    try sh(["/usr/sbin/ip", "netns", "exec", "\(prefix)remote", "/usr/sbin/iptables", "-A", "INPUT", "-p", "udp", "-j", "DROP"])
    say("hoptrace-bench on \(ProcessInfo.processInfo.activeProcessorCount) CPUs; lab \(prefix); hoptrace \(hoptrace)")
    if options.ceiling {
        try PacketRateBench(prefix: prefix, hoptrace: hoptrace, seconds: options.seconds, mode: "").ceiling(rates: options.rates)
    }
    for mode in options.modes where !options.rates.isEmpty {
        var bench = PacketRateBench(prefix: prefix, hoptrace: hoptrace, seconds: options.seconds, mode: mode)
        bench.withTcpdump = options.tcpdump
        try bench.run(rates: options.rates)
    }
    for mode in options.modes where !options.flowRates.isEmpty {
        try FlowRateBench(prefix: prefix, hoptrace: hoptrace, mode: mode).run(rates: options.flowRates)
    }
    if options.liveView { try LiveViewBench(prefix: prefix, hoptrace: hoptrace, seconds: options.seconds).run(flows: 10_000, rate: 20_000) }
} catch {
    FileHandle.standardError.write(Data("hoptrace-bench: \(error)\n".utf8))
    exit(1)
}

enum BenchAbort {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0
}

struct BenchOptions {
    var rates: [Double] = [50_000, 100_000, 200_000, 300_000, 400_000]
    var flowRates: [Double] = [25_000, 50_000, 100_000, 150_000]
    var correlatorFlows: [Int] = [1_000, 10_000, 100_000]
    var seconds: Double = 2
    var liveView = true
    var modes = ["--flows", "--json"]
    var tcpdump = true
    /// (a0): the path's ceiling with five `tcpdump -w /dev/null` and no hoptrace.
    var ceiling = false
    var dumpChanges: Int?
    var prefix = "htb"
    var hoptrace = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hoptrace").path

    init(_ args: ArraySlice<String>) {
        var it = args.makeIterator()
        func numbers(_ s: String?) -> [Double] { (s ?? "").split(separator: ",").compactMap { Double($0) } }
        while let a = it.next() {
            switch a {
            case "--rates": rates = numbers(it.next())
            case "--flow-rates": flowRates = numbers(it.next())
            case "--correlator-flows": correlatorFlows = numbers(it.next()).map { Int($0) }
            case "--seconds": seconds = Double(it.next() ?? "") ?? seconds
            case "--no-live-view": liveView = false
            case "--alone": tcpdump = false
            case "--ceiling": ceiling = true
            case "--modes": modes = (it.next() ?? "").split(separator: ",").map { "--" + $0 }
            case "--prefix": prefix = it.next() ?? prefix
            case "--hoptrace": hoptrace = it.next() ?? hoptrace
            case "--dump-changes": dumpChanges = Int(it.next() ?? "") ?? 8
            default:
                say("usage: hoptrace-bench [--rates R,R,…] [--flow-rates R,R,…] [--correlator-flows N,N,…] [--modes flows,json] [--alone] [--ceiling] [--no-live-view] [--seconds S] [--prefix P] [--hoptrace PATH] [--dump-changes RUNS]")
                exit(a == "--help" || a == "-h" ? 0 : 2)
            }
        }
    }
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
