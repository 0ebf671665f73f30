import CHoptraceShims
import Foundation
import Glibc

/// A socket or pcap handle stays bound to the namespace it was created in. So a
/// short-lived thread enters the namespace, opens the handle, and ends; the
/// descriptor is then served by the one event loop, whatever thread that runs on.
public enum NetnsThread {
    public static func run<T: Sendable>(in netnsPath: String?, _ body: @escaping @Sendable () throws -> T) throws -> T {
        guard let netnsPath else { return try body() }
        let box = ResultBox<T>()
        let thread = Thread {
            if CHoptraceShims_setns_net(netnsPath) != 0 {
                box.result = .failure(CaptureError.namespace(path: netnsPath, errno: errno))
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
