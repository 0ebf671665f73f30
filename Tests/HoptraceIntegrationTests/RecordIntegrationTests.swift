import Foundation
import Testing

/// `watch -w FILE` as root runs it: a planted symlink, an existing file, `--force`, the
/// new file's mode, a device, and a disk that fills up mid-run. It captures on the
/// machine's own `lo` (no lab needed; nothing is changed there), and `-r` cannot be
/// combined with `-w`, so root is needed for the capture.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct RecordIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    private func record(to path: String, _ extra: [String] = []) throws -> Hoptrace.Output {
        try Hoptrace.run(["watch", "-i", "lo", "--no-conntrack", "--duration", "1", "--text", "-w", path] + extra)
    }

    @Test func aPlantedSymlinkIsRefusedAndItsTargetLeftIntact() throws {
        try withScratchDirectory("rec-link") { dir in
            let target = dir + "/root-only", link = dir + "/run.pcapng"
            try Data("root's secret".utf8).write(to: URL(fileURLWithPath: target))
            #expect(chmod(target, 0o600) == 0)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            for force in [[], ["--force"]] {
                let r = try record(to: link, force)
                #expect(r.status != 0)
                #expect(r.stderr.contains("hoptrace: \(link) is a symbolic link: hoptrace never writes a recording through one"), "\(r.stderr)")
            }
            #expect(fileText(target) == "root's secret")
            #expect(permissions(target) == 0o600)
        }
    }

    @Test func anExistingFileIsKeptWithoutForceAndReplacedWithIt() throws {
        try withScratchDirectory("rec-exists") { dir in
            let path = dir + "/run.pcapng"
            try Data("yesterday's recording".utf8).write(to: URL(fileURLWithPath: path))
            #expect(chmod(path, 0o644) == 0)
            let refused = try record(to: path)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("hoptrace: \(path) exists: hoptrace does not overwrite recordings; use --force"), "\(refused.stderr)")
            #expect(fileText(path) == "yesterday's recording")

            let forced = try record(to: path, ["--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(permissions(path) == 0o600)
            let replay = try Hoptrace.run(["watch", "-r", path, "--text"])
            #expect(replay.status == 0, "the replaced file is a whole recording: \(replay.stderr)")
        }
    }

    @Test func aNewRecordingIsPrivate() throws {
        try withScratchDirectory("rec-new") { dir in
            let path = dir + "/run.pcapng"
            let r = try record(to: path)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(permissions(path) == 0o600)
        }
    }

    @Test func aDeviceIsRefusedEvenWithForce() throws {
        let r = try record(to: "/dev/full", ["--force"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("hoptrace: /dev/full is not a regular file"), "\(r.stderr)")
    }

    /// A 16 KiB tmpfs in a private mount namespace (gone with the process) fills up under
    /// a flood ping on lo: the run stops at once, names the file and the reason, and
    /// exits non-zero instead of leaving a silently truncated recording.
    @Test func aFullDiskStopsTheRunWithTheReason() throws {
        try withScratchDirectory("rec-full") { dir in
            let script = """
                /bin/mount -t tmpfs -o size=16k hoptrace-test "$1" || exit 99
                /usr/bin/ping -q -f -w 8 127.0.0.1 >/dev/null 2>&1 &
                "$2" watch -i lo --no-conntrack --duration 8 --text -w "$1/run.pcapng" -- icmp >/dev/null
                status=$?
                kill $! 2>/dev/null
                exit $status
                """
            let start = Date()
            let r = try Hoptrace.exec(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script,
                                       "sh", dir, Hoptrace.binary])
            let elapsed = Date().timeIntervalSince(start)
            #expect(r.status != 0 && r.status != 99, "\(r.stderr)")
            #expect(r.stderr.contains("hoptrace: cannot write \(dir)/run.pcapng: No space left on device"), "\(r.stderr)")
            #expect(elapsed < 6, "the write failure stops the run, not --duration 8: \(elapsed) s")
        }
    }
}
