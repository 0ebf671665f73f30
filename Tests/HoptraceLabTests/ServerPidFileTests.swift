import Foundation
import HoptraceCore
import Testing
@testable import HoptraceLab

/// The lab server's pid file names a process by pid and start time; a pid alone is never
/// trusted with a signal (issue 14, finding 7: `lab publish --off` after pid reuse).
@Suite struct ServerPidFileTests {
    @Test func writesAndReadsPidAndStartTime() throws {
        let f = ServerPidFile(pid: 4321, startTime: 8_765_432)
        #expect(f.text == "4321 8765432\n")
        #expect(ServerPidFile(parsing: f.text) == f)
    }

    @Test func aPidAloneOrAnythingElseIsNotAPidFile() {
        for bad in ["", "\n", "4321\n", "4321 x\n", "x 1\n", "0 5\n", "-4 5\n", "4321 5 6\n", "4321 +5\n", "99999999999 1\n"] {
            #expect(ServerPidFile(parsing: bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func onlyTheProcessWithThatStartTimeIsTheServer() {
        let f = ServerPidFile(pid: 4321, startTime: 500)
        #expect(f.isRunning(ProcessStat(pid: 4321, name: "hoptrace", state: "S", startTime: 500)))
        #expect(!f.isRunning(ProcessStat(pid: 4321, name: "sleep", state: "S", startTime: 501)), "the pid, reused")
        #expect(!f.isRunning(ProcessStat(pid: 4321, name: "hoptrace", state: "Z", startTime: 500)), "exited")
        #expect(!f.isRunning(nil), "no such process")
    }

    @Test func thisProcessIsItself() throws {
        let me = try #require(ServerPidFile.current())
        #expect(me.pid == getpid())
        #expect(me.runningServer()?.pid == getpid())
        #expect(ServerPidFile(pid: me.pid, startTime: me.startTime &+ 1).runningServer() == nil)
    }
}
