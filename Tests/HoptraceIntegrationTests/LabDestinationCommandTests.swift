import Foundation
import Testing

/// `lab ping` / `lab connect` / `lab probe` with a `--to` that is no address (issue 14,
/// finding 10): refused by the command line itself, before any lab or root is needed, with a
/// sentence (ArgumentParser's validation failure, exit 64), never handed to ping as an option.
@Suite struct LabDestinationCommandTests {
    @Test(arguments: [["lab", "ping", "--to=-x"], ["lab", "ping", "--to=-f", "--count", "1"],
                      ["lab", "connect", "--to=-x", "--port", "80"], ["lab", "probe", "--to=-x", "--port", "80"]])
    func aDestinationThatIsAnOptionIsRefused(_ args: [String]) throws {
        let value = String(args[2].dropFirst("--to=".count))
        let r = try Hoptrace.run(args)
        #expect(r.status == 64, "status \(r.status): \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("'\(value)' is not an IP address: give --to an IPv4 or IPv6 address"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
