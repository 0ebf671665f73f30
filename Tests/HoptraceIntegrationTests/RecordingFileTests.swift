import Foundation
import HoptraceCapture
import HoptraceCore
import Testing

/// `watch -w FILE` runs as root: the file is never written through a symlink, never
/// replaces anything without `--force` (`replace`), is private, and a failed write is an
/// error. In-process, so no root is needed; `RecordIntegrationTests` drives the binary.
@Suite struct RecordingFileTests {
    private func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
    }

    @Test func aSymlinkIsNeverWrittenThroughNotEvenWithReplace() throws {
        try withScratchDirectory("rf-link") { dir in
            let target = dir + "/secret", link = dir + "/run.pcapng"
            try write("root's own", to: target)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            for replace in [false, true] {
                #expect(throws: RecordingError.symlink(path: link)) { try RecordingFile.create(path: link, replace: replace) }
            }
            #expect(fileText(target) == "root's own")
            #expect(permissions(target) == 0o600)
            #expect(RecordingError.symlink(path: link).description.contains("never writes a recording through one"))
        }
    }

    @Test func aDanglingSymlinkCreatesNothingAtItsTarget() throws {
        try withScratchDirectory("rf-dangling") { dir in
            let target = dir + "/planted", link = dir + "/run.pcapng"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            for replace in [false, true] {
                #expect(throws: RecordingError.symlink(path: link)) { try RecordingFile.create(path: link, replace: replace) }
            }
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }

    @Test func anExistingFileIsRefusedWithoutReplaceAndReplacedWithIt() throws {
        try withScratchDirectory("rf-exists") { dir in
            let path = dir + "/run.pcapng"
            try write("an older, longer recording", to: path, mode: 0o644)
            #expect(throws: RecordingError.exists(path: path)) { try RecordingFile.create(path: path, replace: false) }
            #expect(RecordingError.exists(path: path).description == "\(path) exists: hoptrace does not overwrite recordings; use --force")
            #expect(fileText(path) == "an older, longer recording")

            let file = try RecordingFile.create(path: path, replace: true)
            try file.write(Array("new".utf8))
            try file.close()
            #expect(fileText(path) == "new", "the old bytes are truncated, not left after the new ones")
            #expect(permissions(path) == 0o600, "a replaced file is made private too")
        }
    }

    @Test func aNewRecordingIsPrivate() throws {
        try withScratchDirectory("rf-new") { dir in
            let path = dir + "/run.pcapng"
            let file = try RecordingFile.create(path: path, replace: false)
            try file.close()
            #expect(permissions(path) == 0o600)
        }
    }

    /// `--force` replaces a regular file and nothing else: not a device (root could
    /// write one), not a FIFO (which would block the open), not a file with another name.
    @Test func replaceRefusesDevicesFifosAndHardLinks() throws {
        #expect(throws: RecordingError.notRegularFile(path: "/dev/null")) { try RecordingFile.create(path: "/dev/null", replace: true) }
        try withScratchDirectory("rf-special") { dir in
            let fifo = dir + "/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            #expect(throws: RecordingError.notRegularFile(path: fifo)) { try RecordingFile.create(path: fifo, replace: true) }

            let original = dir + "/elsewhere", linked = dir + "/run.pcapng"
            try write("someone's file", to: original)
            #expect(link(original, linked) == 0)
            #expect(throws: RecordingError.hardLinked(path: linked)) { try RecordingFile.create(path: linked, replace: true) }
            #expect(fileText(original) == "someone's file")
        }
    }

    /// /dev/full fails every write with ENOSPC: a full disk, without filling one.
    private func devFull() throws -> RecordingFile {
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0, "cannot open /dev/full")
        return RecordingFile(fd: fd, path: "/dev/full")
    }

    @Test func aFailedWriteIsThrownNamingTheFileAndTheReason() throws {
        let enospc = RecordingError.write(path: "/dev/full", errno: ENOSPC)
        #expect(enospc.description == "cannot write /dev/full: No space left on device")

        // More than the buffer holds: written, and failed, at once.
        let big = try devFull()
        #expect(throws: enospc) { try big.write([UInt8](repeating: 0, count: 1 << 17)) }

        // Less than the buffer: the failure comes with the flush at close, not never.
        let small = try devFull()
        try small.write([1, 2, 3])
        #expect(throws: enospc) { try small.close() }
    }

    /// The recorder keeps the first failure (the loop's `stop` asks for it), writes no
    /// more, and `close` throws it, so `watch` exits non-zero.
    @Test func theRecorderKeepsTheFirstFailureAndCloseThrowsIt() throws {
        let point = CapturePoint(netns: "hthost", iface: "enX0")
        let full = try devFull()
        let recorder = CaptureRecorder(file: full, interfaces: [
            RecordedInterface(point: point, linkType: LinkType.ethernet, snapLength: 262_144, mac: [2, 0, 0, 0, 0, 1]),
        ])
        #expect(recorder.failure == nil, "the header is still buffered")
        // A topology block larger than the buffer forces a write.
        let large = [UInt8](repeating: 0x20, count: 1 << 17)
        recorder.record(topology: [NamespaceSources(name: "hthost", link: large, addr: [], route: [], route6: [], nsid: [], ipForward: "1")])
        #expect(recorder.failure == .write(path: "/dev/full", errno: ENOSPC))
        #expect(throws: RecordingError.write(path: "/dev/full", errno: ENOSPC)) { try recorder.close() }
    }
}
