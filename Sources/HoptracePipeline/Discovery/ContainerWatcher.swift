import Foundation
import Glibc
import HoptraceCapture
import HoptraceCore

/// Looks at the engines every `ContainerWatch.interval` seconds on a thread of its own — the
/// Engine API is blocking HTTP, and the capture loop must never wait on it — and hands the
/// containers that started or stopped to the loop through a pipe the loop polls.
/// Started after the privilege drop: the thread holds no more than the loop does.
final class ContainerWatcher: @unchecked Sendable {
    /// The read end: readable when changes are waiting (`drain`).
    let fd: Int32
    private let writeFD: Int32
    private let lock = NSLock()
    private var waiting: [ContainerWatch.Change] = []
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)

    init(_ watch: ContainerWatch) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CaptureError.topology("pipe: \(String(cString: strerror(errno)))") }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        fd = ends[0]
        writeFD = ends[1]
        let thread = Thread { [self] in
            var running = watch.running
            let clients = watch.endpoints.map { EngineClient(endpoint: $0, timeout: 3) }
            // Each endpoint's engine, as the run found it (a stop and a start are told by id).
            let kinds = watch.kinds
            while !isStopping {
                var now: [ContainerWatch.Running] = []
                var answered = true
                // One list request per engine and look (no inspect per container: a host with
                // hundreds of containers is asked once every interval, not hundreds of times).
                for (client, kind) in zip(clients, kinds) {
                    guard let list = try? client.running() else { answered = false; break }
                    now += list.map { .init(id: $0.id, name: $0.name, engine: kind) }
                }
                // An engine that did not answer this time says nothing about its containers.
                if answered {
                    let changes = ContainerWatch.changes(from: running, to: now)
                    running = now
                    if !changes.isEmpty { post(changes) }
                }
                if done.wait(timeout: .now() + ContainerWatch.interval) == .success { break }
            }
        }
        thread.name = "hoptrace-containers"
        thread.start()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func post(_ changes: [ContainerWatch.Change]) {
        lock.withLock { waiting += changes }
        var one: UInt8 = 1
        _ = write(writeFD, &one, 1)
    }

    /// The changes posted since the last call (the pipe emptied too).
    func drain() -> [ContainerWatch.Change] {
        var buf = [UInt8](repeating: 0, count: 64)
        while read(fd, &buf, buf.count) > 0 {}
        return lock.withLock {
            defer { waiting = [] }
            return waiting
        }
    }

    /// Ends the thread (at once, or after a request in flight: at most its timeout).
    func stop() {
        lock.withLock { stopping = true }
        done.signal()
    }

    deinit {
        close(fd)
        close(writeFD)
    }
}
