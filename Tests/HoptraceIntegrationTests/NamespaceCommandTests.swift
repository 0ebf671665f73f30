import Foundation
import Testing
@testable import HoptraceCapture

/// The runner explain mode feeds nft through (issue 14, finding 7): no temporary files (the
/// script goes in on stdin, the output comes back through pipes: nothing on disk to plant a
/// link at or to leave behind when killed), any size both ways without a deadlock, and a child
/// that stops reading is an exit status, not a SIGPIPE for this process. Needs no root.
@Suite struct NamespaceCommandTests {
    @Test func stdinStdoutAndStderrArePipesNotFiles() throws {
        // readlink's own descriptors: 0 and 2 inherited from sh, 1 sent to sh's stderr.
        let r = try NamespaceCommand.run(["/bin/sh", "-c", "readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 >&2; cat >/dev/null"],
                                         in: nil, stdin: "table inet x\n")
        #expect(r.status == 0, "\(r.stderr)")
        let links = r.stderr.split(separator: "\n")
        #expect(links.count == 3 && links.allSatisfy { $0.hasPrefix("pipe:") }, "\(r.stderr)")
    }

    @Test func megabytesBothWaysAtOnceDoNotDeadlock() throws {
        let big = String(repeating: "0123456789abcdef\n", count: 65_536)  // 1 MiB, 16 pipe buffers
        let r = try NamespaceCommand.run(["/bin/sh", "-c", "cat; head -c 300000 /dev/zero | tr '\\0' e >&2; exit 3"],
                                         in: nil, stdin: big)
        #expect(r.status == 3)
        #expect(r.stdout == big)
        #expect(r.stderr.count == 300_000 && r.stderr.allSatisfy { $0 == "e" })
    }

    @Test func aChildThatStopsReadingIsAnExitStatus() throws {
        let big = String(repeating: "x", count: 4 << 20)
        for _ in 0..<20 {
            let r = try NamespaceCommand.run(["/bin/sh", "-c", "echo gone >&2; exit 7"], in: nil, stdin: big)
            #expect(r.status == 7)
            #expect(r.stderr == "gone\n")
        }
    }

    @Test func noStdinAndNoOutput() throws {
        let r = try NamespaceCommand.run(["/bin/true"], in: nil)
        #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty)
        #expect(NamespaceCommand.path(of: "htns1") == "/run/netns/htns1")
        #expect(NamespaceCommand.path(of: "/proc/1/ns/net") == "/proc/1/ns/net")
        #expect(NamespaceCommand.path(of: nil) == nil)
    }
}
