import Glibc
import Testing
@testable import HoptraceSystem

/// The one runner every program goes through (issue 15; issue 14's "no temporary files" and
/// least privilege): pipes both ways without a deadlock, a signal is not a success, output and
/// time are bounded, a missing tool is named with its package, and no helper thread is left
/// behind (capabilities are per thread). Needs no root.
@Suite struct SubprocessTests {
    @Test func stdinStdoutAndStderrArePipesNotFiles() throws {
        // readlink's own descriptors: 0 and 2 inherited from sh, 1 sent to sh's stderr.
        let r = try Subprocess.run(["sh", "-c", "readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 >&2; cat >/dev/null"],
                                   input: Array("table inet x\n".utf8))
        #expect(r.succeeded, "\(r.stderrText)")
        let links = r.stderrText.split(separator: "\n")
        #expect(links.count == 3 && links.allSatisfy { $0.hasPrefix("pipe:") }, "\(r.stderrText)")
    }

    @Test func megabytesBothWaysAtOnceDoNotDeadlock() throws {
        let big = String(repeating: "0123456789abcdef\n", count: 65_536)  // 1 MiB, 16 pipe buffers
        let r = try Subprocess.run(["sh", "-c", "cat; head -c 300000 /dev/zero | tr '\\0' e >&2; exit 3"], input: Array(big.utf8))
        #expect(r.termination == .exited(3))
        #expect(r.stdoutText == big)
        #expect(r.stderr.count == 300_000 && r.stderr.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    @Test func aChildThatStopsReadingIsAnExitStatus() throws {
        let big = [UInt8](repeating: 0x78, count: 4 << 20)
        for _ in 0..<20 {
            let r = try Subprocess.run(["sh", "-c", "echo gone >&2; exit 7"], input: big)
            #expect(r.termination == .exited(7))
            #expect(r.stderrText == "gone\n")
        }
    }

    @Test func aSignalIsNotASuccess() throws {
        let r = try Subprocess.run(["sh", "-c", "kill -9 $$"])
        #expect(r.termination == .signalled(SIGKILL))
        #expect(!r.succeeded)
        #expect(r.termination.code == 137)
    }

    @Test func noStdinMeansDevNull() throws {
        let r = try Subprocess.run(["sh", "-c", "readlink /proc/self/fd/0"])
        #expect(r.stdoutText == "/dev/null\n")
        #expect(try Subprocess.run(["true"]).succeeded)
    }

    @Test func outputPastTheLimitIsReadAndDropped() throws {
        let r = try Subprocess.run(["sh", "-c", "head -c 1000000 /dev/zero; echo done >&2"], outputLimit: 1000)
        #expect(r.stdout.count == 1000)
        #expect(r.truncated)
        #expect(r.stderrText == "done\n")
        #expect(r.succeeded)
    }

    @Test func aChildPastItsTimeIsKilled() throws {
        let start = MonotonicClock.seconds()
        #expect(throws: SubprocessError.timedOut(["sleep", "30"], seconds: 0.3)) {
            try Subprocess.run(["sleep", "30"], timeout: 0.3)
        }
        #expect(MonotonicClock.seconds() - start < 5)
    }

    @Test func aMissingToolIsNamedWithItsPackage() {
        #expect(throws: SubprocessError.toolMissing("no-such-tool-hoptrace", package: "no-such-tool-hoptrace")) {
            try Subprocess.run(["no-such-tool-hoptrace"])
        }
        #expect(ToolLocator.package(providing: "nsenter") == "util-linux")
        #expect(ToolLocator.package(providing: "nft") == "nftables")
        #expect(ToolLocator.locate("sh") != nil)
        #expect(ToolLocator.locate("/no/such/file") == nil)
    }

    /// SIGPIPE ignored here (as in the executable) must not be the child's: `yes | head`
    /// ends because yes dies of SIGPIPE.
    @Test func theChildGetsSIGPIPEBackAtItsDefault() throws {
        let before = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, before) }
        let r = try Subprocess.run(["sh", "-c", "yes | head -c 10 >/dev/null; echo ${PIPESTATUS:-done}"], timeout: 10)
        #expect(r.succeeded)
    }

    @Test func launchedChildrenWriteFilesAndAreWaitedFor() throws {
        let path = "/tmp/hoptrace-subprocess-\(getpid())"
        defer { unlink(path) }
        let child = try Subprocess.launch(["sh", "-c", "echo hello"], stdout: .file(path))
        #expect(child.wait() == .exited(0))
        #expect(child.wait() == .exited(0))
        #expect(!child.isRunning)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let sleeper = try Subprocess.launch(["sleep", "30"])
        #expect(sleeper.isRunning)
        sleeper.signal(SIGTERM)
        #expect(sleeper.wait() == .signalled(SIGTERM))
    }

    /// Capabilities are per thread: a runner with a helper thread would leave one thread
    /// holding what `watch` dropped.
    @Test func runningLeavesNoThreadBehind() throws {
        let before = Set(threadIDs())
        for _ in 0..<5 { _ = try Subprocess.run(["sh", "-c", "echo x; echo y >&2"], input: Array("z".utf8)) }
        #expect(Set(threadIDs()).subtracting(before).isEmpty)
    }

    private func threadIDs() -> [String] {
        guard let dir = opendir("/proc/self/task") else { return [] }
        defer { closedir(dir) }
        var ids: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.first?.isNumber == true { ids.append(name) }
        }
        return ids
    }
}
