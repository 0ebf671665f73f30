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
        return try onThreadOfItsOwn {
            guard CHoptraceShims_setns_net(path) == 0 else { throw CaptureError.namespace(path: path, errno: errno) }
            return try body()
        }
    }

    /// Runs `body` on a thread that ends right after it: what the thread changed of itself
    /// (its network or mount namespace) ends with it, while what it opened stays open.
    static func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let thread = Thread {
            box.result = Result { try body() }
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
