import CHoptraceBench
import Glibc
import HoptraceCapture
import HoptraceCore

/// UDP load from inside a lab namespace: a socket opened there (so its packets take
/// the lab's path), paced to a target rate with sendmmsg batches.
final class LoadGenerator: @unchecked Sendable {
    let fds: [Int32]

    /// `sockets` sockets, each with its own source port: every (socket, destination port)
    /// pair is a new conntrack flow.
    init(in namespace: NetworkNamespace, sockets: Int = 1) throws {
        fds = try (0..<sockets).map { _ in
            try NetnsThread.run(in: namespace) { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
        }
        guard fds.allSatisfy({ $0 >= 0 }) else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
    }

    deinit { fds.forEach { close($0) } }

    /// Sends `total` datagrams at `rate` per second; returns (sent, seconds taken).
    func send(to address: String, ports: ClosedRange<UInt16>, total: Int, rate: Double) -> (sent: Int, seconds: Double) {
        var addr = in_addr()
        inet_pton(AF_INET, address, &addr)
        let payload = [UInt8](repeating: 0x68, count: 18)  // a 64-byte frame on the wire
        var portIndex = [UInt32](repeating: 0, count: fds.count)
        let span = UInt32(ports.count)
        let start = Monotonic.now
        var sent = 0
        while sent < total {
            let due = min(total, Int((Monotonic.now - start) * rate) + 1)
            if due <= sent {
                usleep(50)
                continue
            }
            // Each socket sends its whole port range before the next one starts.
            let socket = min(fds.count - 1, sent / Int(span))
            let n = CHoptraceBench_send_udp_burst(
                fds[socket], addr.s_addr, ports.lowerBound, span, &portIndex[socket], payload, payload.count,
                UInt32(min(due - sent, 256)))
            if n < 0 { usleep(100) } else { sent += Int(n) }
        }
        return (sent, Monotonic.now - start)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
