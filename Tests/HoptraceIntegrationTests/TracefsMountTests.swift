@testable import HoptraceCapture
import Testing

/// Where the machine already has tracefs (issue 17): hoptrace uses that mount and never mounts
/// its own, since tracefs is one superblock and a second mount would reconfigure it.
@Suite struct TracefsMountTests {
    @Test func anExistingTracefsIsFoundWhereverItIsMounted() {
        let tracing = "36 22 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:15 - tracefs tracefs rw,mode=700\n"
        let debug = "40 33 0:12 / /sys/kernel/debug/tracing rw,relatime - tracefs tracefs rw\n"
        let spaced = "41 33 0:12 / /mnt/my\\040trace rw - tracefs nodev rw\n"
        let other = "22 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
        #expect(DropReasonTrace.mountedTracefs(mountinfo: other + tracing) == "/sys/kernel/tracing")
        #expect(DropReasonTrace.mountedTracefs(mountinfo: other + debug) == "/sys/kernel/debug/tracing")
        #expect(DropReasonTrace.mountedTracefs(mountinfo: spaced) == "/mnt/my trace")
        #expect(DropReasonTrace.mountedTracefs(mountinfo: other) == nil)
        #expect(DropReasonTrace.mountedTracefs(mountinfo: "") == nil)
    }
}
