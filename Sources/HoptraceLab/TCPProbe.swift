import Foundation

/// The lab's two TCP ends for S7: a tiny server in ns1 and a client in the
/// remote namespace. Both run inside a namespace via `ip netns exec`.
public enum TCPProbe {
    public static func greeting(port: UInt16) -> String { "hoptrace lab: hello from ns1 tcp/\(port)\n" }

    /// Listens on 0.0.0.0:port and answers every connection with one line. Never returns.
    public static func serve(port: UInt16, pidFile: String?) throws -> Never {
        // A daemon must not hold its launcher's pipes open: whoever reads them to EOF would wait forever.
        for fd in 3..<Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65536)) { close(fd) }
        // Nor inherit a blocked or ignored SIGTERM: `lab down` stops it with one.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGTERM, SIG_DFL)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError.probeFailed("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = INADDR_ANY
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            throw LabError.probeFailed("cannot listen on tcp/\(port): \(String(cString: strerror(errno)))")
        }
        if let pidFile {
            // Pid and start time: `lab publish --off` signals only the process both name (ServerPidFile).
            guard let me = ServerPidFile.current() else { throw LabError.probeFailed("cannot read /proc/self/stat for the pid file") }
            try me.text.write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        let reply = Array(greeting(port: port).utf8)
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { continue }
            _ = reply.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
    }

    /// Connects to address:port, reads the greeting, returns it.
    public static func connect(to address: String, port: UInt16, timeoutSeconds: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError.probeFailed("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            throw LabError.probeFailed("'\(address)' is not an IPv4 address")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            throw LabError.probeFailed("connect to \(address):\(port) failed: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        var received: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        guard !received.isEmpty else {
            throw LabError.probeFailed("connected to \(address):\(port) but no answer within \(timeoutSeconds) s")
        }
        return String(decoding: received, as: UTF8.self)
    }
}
