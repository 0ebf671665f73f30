import Foundation
import Testing
@testable import HoptraceLab

/// `lab ping` / `lab connect --to` (issue 14, finding 10): the address is passed to ping and
/// to the probe as an argument, so text that starts with `-` would be read as an option.
/// Only an IP address gets through, and the tools find it after `--` (or in `--to=`).
@Suite struct LabDestinationTests {
    @Test(arguments: ["-x", "-f", "--flood", "-c1000000", "", " 172.31.45.174", "172.31.45.174 -f", "remote",
                      "172.31.45", "256.1.1.1", "1.2.3.4;id", "$(id)", "\u{1b}[2J"])
    func aDestinationThatIsNoAddressIsRefused(_ text: String) {
        #expect(throws: LabError.invalidAddress(text)) { try Lab.destination(text) }
    }

    @Test func theRefusalSaysWhatToGive() {
        let message = LabError.invalidAddress("-x").description
        #expect(message == "'-x' is not an IP address: give --to an IPv4 or IPv6 address such as \(LabTopology.remoteAddress)")
        // A name from the command line is shown, not obeyed, by a terminal.
        #expect(!LabError.invalidAddress("\u{1b}[2J").description.contains("\u{1b}"))
    }

    @Test(arguments: [("172.31.45.174", "172.31.45.174"), ("10.0.0.1", "10.0.0.1"), ("fe80::1", "fe80::1")])
    func anAddressPassesAsItIsPrinted(_ text: String, _ address: String) throws {
        #expect(try Lab.destination(text) == address)
    }

    /// Refused before anything runs: no root, no lab, no ping needed to see it.
    @Test func pingAndConnectRefuseBeforeRunningAnything() throws {
        let lab = Lab(topology: try LabTopology(prefix: "ht"))
        #expect(throws: LabError.invalidAddress("-x")) { try lab.ping(from: "ns1", to: "-x", count: 1) }
        #expect(throws: LabError.invalidAddress("-x")) { try lab.connect(from: "remote", to: "-x", port: 80) }
    }

    /// The lab's one tool lookup also names the program that `ip netns exec` and `setsid`
    /// start, so their PATH (which may lack sbin) never decides; every other word stays.
    @Test func theProgramsAnotherProgramStartsAreFoundToo() throws {
        // Each throws `toolMissing` if absent (iproute2 and util-linux are the lab's own needs).
        let sh = try CommandRunner.locate("sh"), ip = try CommandRunner.locate("ip"), setsid = try CommandRunner.locate("setsid")
        #expect(try CommandRunner.resolved(["ip", "netns", "exec", "htns1", "sh", "-c", "ping -- x"])
                == [ip, "netns", "exec", "htns1", sh, "-c", "ping -- x"])
        #expect(try CommandRunner.resolved(["setsid", "-f", "ip", "netns", "exec", "htns1", "/proc/self/exe", "lab", "serve"])
                == [setsid, "-f", ip, "netns", "exec", "htns1", "/proc/self/exe", "lab", "serve"])
        // Not a command that starts another: its words are arguments, looked up by nobody.
        #expect(try CommandRunner.resolved(["ip", "-n", "htns1", "link", "show", "sh"]) == [ip, "-n", "htns1", "link", "show", "sh"])
        #expect(throws: LabError.self) { try CommandRunner.resolved(["ip", "netns", "exec", "htns1", "no-such-tool-hoptrace"]) }
    }
}
