import ArgumentParser
import Glibc
import HoptraceCore
import HoptracePipeline

@main
struct Hoptrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoptrace",
        abstract: "Follow packets hop by hop through namespaces, bridges and NAT.",
        discussion: """
            hoptrace captures on many interfaces across network namespaces, subscribes to \
            conntrack events, and joins them into flows with their NAT rewrites, hop-by-hop \
            journeys and the place and reason a packet vanished. 'hoptrace lab' builds a demo \
            network (the articles' Docker-style bridge topology) inside namespaces of its own.

            Without a subcommand: 'watch' (the live view; on the lab when it is up).
            """,
        version: HoptraceVersion.string,
        subcommands: [WatchCommand.self, NamespacesCommand.self, DoctorCommand.self, LabCommand.self],
        defaultSubcommand: WatchCommand.self
    )

    /// SIGPIPE is ignored before any command runs: a reader that goes away (`| head -1`) is a
    /// normal thing for a CLI, not a death. A write to it fails with EPIPE instead, which `watch`
    /// takes as the end of its run (cleanup runs: the explain tables are removed; exit 0), and
    /// `lab` and `doctor` never stop half-way through what they change.
    /// ArgumentParser's own `main` would print its messages raw, and they quote the user's
    /// input ("The value '…' is invalid for '--max-flows'"): here they go through `Console`.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exitReporting(error)
        }
    }

    /// What `exit(withError:)` does, with the text escaped: help, version and other clean
    /// exits (exit code 0) on stdout, errors on stderr; a thrown `ExitCode` has no text.
    private static func exitReporting(_ error: Error) -> Never {
        let code = exitCode(for: error)
        let text = fullMessage(for: error)
        if !text.isEmpty {
            if code.isSuccess { Console.out(text) } else { Console.err(text) }
        }
        Glibc.exit(code.rawValue)
    }
}
