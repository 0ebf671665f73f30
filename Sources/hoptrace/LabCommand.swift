import ArgumentParser
import Foundation
import HoptraceLab
import HoptracePipeline

struct LabOptions: ParsableArguments {
    @Option(help: "Name prefix of the lab's namespaces (PREFIXns0, PREFIXns1, PREFIXhost, PREFIXremote).")
    var prefix = "ht"

    func lab() throws -> Lab {
        do {
            return Lab(topology: try LabTopology(prefix: prefix)) { line in Console.out(line) }
        } catch let e as LabError {
            throw ValidationError(e.description)
        }
    }
}

/// Refuses a `--to` that is not an IP address before anything runs (`-x` would be an option
/// to ping); `Lab.ping`/`connect` check again, for callers other than this CLI.
func validateDestination(_ to: String) throws {
    do { _ = try Lab.destination(to) } catch let e as LabError { throw ValidationError(e.description) }
}

/// Runs a lab operation, turning a LabError into its one-sentence message and exit 1.
func labAction(_ body: () throws -> Void) throws {
    do { try body() } catch let e as LabError {
        Console.err("hoptrace: \(e.description)")
        throw ExitCode.failure
    }
}

/// Shows a traffic command's own output (made safe for the terminal: `lab connect` prints
/// what a server answered) and exits with its status.
func passThrough(_ r: CommandResult) throws {
    Console.out(r.stdout, terminator: "")
    Console.err(r.stderr, terminator: "")
    if !r.succeeded { throw ExitCode(r.status) }
}

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The demo network: the articles' bridge + NAT topology inside namespaces of its own.",
        discussion: """
            Namespaces: PREFIXns0 and PREFIXns1 (containers, 172.18.0.2 and .3), PREFIXhost
            (bridge docker1 172.18.0.1/24, uplink enX0 172.31.39.53/20, ip_forward on) and
            PREFIXremote (enX0 172.31.45.174/20). The machine's own namespace is never changed.
            """,
        subcommands: [
            LabUp.self, LabDown.self, LabStatusCommand.self, LabSet.self, LabPublish.self, LabPing.self,
            LabConnect.self, LabServe.self, LabProbe.self,
        ])
}

struct LabUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build the lab (idempotent); with --scenario, reset its rules to that scenario.",
        discussion: LabScenario.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var options: LabOptions
    @Option(help: "Scenario S1…S7, any case (a new lab starts as S2).")
    var scenario: LabScenario?

    func run() throws {
        let lab = try options.lab()
        try labAction {
            try lab.up(scenario: scenario)
            Console.out("lab '\(lab.topology.prefix)' is up: \(lab.topology.namespaces.joined(separator: " "))")
        }
    }
}

struct LabDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove the lab's namespaces (and only those) with everything in them.")
    @OptionGroup var options: LabOptions

    func run() throws {
        let lab = try options.lab()
        try labAction { try lab.down() }
    }
}

struct LabStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print namespaces, links (peers, masters), addresses, routes, rules and sysctls.")
    @OptionGroup var options: LabOptions

    func run() throws {
        let lab = try options.lab()
        try labAction {
            guard lab.isUp else { throw LabError.notUp(prefix: lab.topology.prefix) }
            for ns in try lab.status() { Console.out(ns.render()) }
        }
    }
}

struct LabSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Turn one knob: nat on|off, forward accept|drop, return-rule, outbound-rule, bridge-rule, bridge-filter, default-route, ip-forward on|off.")
    @OptionGroup var options: LabOptions
    @Argument(help: "The knob to turn.")
    var knob: LabKnob
    @Argument(help: "on|off (accept|drop for forward); any case, and 1/yes/true, 0/no/false for on, off.")
    var value: LabKnobValue

    /// A value the knob does not take (`forward on`, `nat drop`) is refused before the lab is touched.
    func validate() throws {
        do { _ = try LabToggle(knob: knob, value: value) } catch let e as LabError { throw ValidationError(e.description) }
    }

    func run() throws {
        let lab = try options.lab()
        try labAction {
            try lab.set(LabToggle(knob: knob, value: value))
            Console.out("\(knob.rawValue) \(value.rawValue)")
        }
    }
}

struct LabPublish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish PORT like 'docker run -p PORT:PORT': Docker's DNAT rules and a TCP server in ns1.")
    @OptionGroup var options: LabOptions
    @Argument(help: "TCP port on 172.31.39.53 to forward to 172.18.0.3.")
    var port: UInt16
    @Flag(help: "Remove the rules and stop the server instead.")
    var off = false

    func run() throws {
        let lab = try options.lab()
        try labAction {
            try lab.set(.publish(port: port, !off))
            Console.out(off ? "unpublished tcp/\(port)" : "published \(LabTopology.hostUplinkAddress):\(port) -> \(LabTopology.ns1Address):\(port)")
        }
    }
}

struct LabPing: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "Ping from a lab namespace (default: ns1 to the remote host).")
    @OptionGroup var options: LabOptions
    @Option(help: "ns0, ns1, host, remote or a lab namespace name.") var from = "ns1"
    @Option(help: "Destination IP address (must be a lab address).") var to = LabTopology.remoteAddress
    @Option(help: "Echo requests to send.") var count = 3
    @Option(help: "Seconds between requests.") var interval = 0.2

    func validate() throws { try validateDestination(to) }

    func run() throws {
        let lab = try options.lab()
        try labAction {
            try passThrough(lab.ping(from: from, to: to, count: count, interval: interval))
        }
    }
}

struct LabConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Open a TCP connection from a lab namespace (default: remote to 172.31.39.53).")
    @OptionGroup var options: LabOptions
    @Option(help: "ns0, ns1, host, remote or a lab namespace name.") var from = "remote"
    @Option(help: "Destination IPv4 address.") var to = LabTopology.hostUplinkAddress
    @Option(help: "Destination TCP port.") var port: UInt16

    func validate() throws { try validateDestination(to) }

    func run() throws {
        let lab = try options.lab()
        try labAction {
            try passThrough(lab.connect(from: from, to: to, port: port))
        }
    }
}

struct LabServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "The published port's server (started by 'lab publish' inside ns1).",
        shouldDisplay: false)
    @Option(help: "Port to listen on.") var port: UInt16
    @Option(help: "Write the pid here once listening.") var pidFile: String?

    func run() throws {
        try labAction { try TCPProbe.serve(port: port, pidFile: pidFile) }
    }
}

struct LabProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Connect to ADDRESS:PORT and print the answer (run by 'lab connect').",
        shouldDisplay: false)
    @Option(help: "Address.") var to: String
    @Option(help: "Port.") var port: UInt16
    @Option(help: "Seconds to wait.") var timeout = 3

    func validate() throws { try validateDestination(to) }

    func run() throws {
        try labAction { Console.out(try TCPProbe.connect(to: to, port: port, timeoutSeconds: timeout), terminator: "") }
    }
}
