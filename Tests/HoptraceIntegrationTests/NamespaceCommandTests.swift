import Foundation
import Testing
@testable import HoptraceCapture

/// The runner explain mode feeds nft through (issue 14, finding 7): no temporary files (the
/// script goes in on stdin, the output comes back through pipes; `SubprocessTests` covers
/// sizes, deadlocks and signals). Needs no root.
@Suite struct NamespaceCommandTests {
    @Test func scriptsGoInOnStdinAndOutputComesBack() throws {
        let r = try NamespaceCommand.run(["/bin/sh", "-c", "cat; echo oops >&2; exit 3"], in: nil, stdin: "table inet x\n")
        #expect(r.status == 3 && r.stdout == "table inet x\n" && r.stderr == "oops\n")
        #expect(throws: ExplainError.missingTool("no-such-tool-hoptrace")) { try NamespaceCommand.run(["no-such-tool-hoptrace"], in: nil) }
    }

    @Test func noStdinAndNoOutput() throws {
        let r = try NamespaceCommand.run(["/bin/true"], in: nil)
        #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty)
    }
}
