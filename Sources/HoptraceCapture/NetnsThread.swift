import CHoptraceShims
import Foundation
import Glibc
import HoptraceCore

/// A socket or pcap handle stays bound to the namespace it was created in. So a
/// short-lived thread enters the namespace, opens the handle, and ends; the
/// descriptor is then served by the one event loop, whatever thread that runs on.
public enum NetnsThread {
    /// Runs `body` inside `namespace`; nil is this process's own namespace, where it runs at once.
    public static func run<T: Sendable>(in namespace: NetworkNamespace?, _ body: @escaping @Sendable () throws -> T) throws -> T {
        guard let path = namespace?.path else { return try body() }
        let box = ResultBox<T>()
        let thread = Thread {
            if CHoptraceShims_setns_net(path) != 0 {
                box.result = .failure(CaptureError.namespace(path: path, errno: errno))
            } else {
                box.result = Result { try body() }
            }
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        return try box.result!.get()
    }
}

/// Hands the thread's result back; the semaphore orders the access.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
}
