/// A flow a userland proxy (docker-proxy) took over: the client's connection it answered, or
/// the new connection it opened to the container, and the other one when it is known. One
/// reference per flow that has one (most flows have none).
public final class ProxyLink: Sendable {
    public enum Role: String, Sendable {
        /// A connection to the published port, answered by the proxy in user space.
        case client
        /// The proxy's own connection to the container.
        case upstream
    }

    public let role: Role
    public let proxy: UserlandProxy
    /// The other flow of the pair (nil: not seen yet).
    public let peerFlow: Int?
    /// The upstream connection in words: "172.17.0.1 → 172.17.0.2:80".
    public let upstream: String?
    /// How many client connections through this proxy could have been the pair's other half:
    /// the link is told by timing, and more than one makes it a guess, said so.
    public let candidates: Int

    public init(role: Role, proxy: UserlandProxy, peerFlow: Int?, upstream: String?, candidates: Int = 1) {
        self.role = role
        self.proxy = proxy
        self.peerFlow = peerFlow
        self.upstream = upstream
        self.candidates = candidates
    }

    /// "handed to docker-proxy (pid 812) on 0.0.0.0:8080; new connection 172.17.0.1 → 172.17.0.2:80 (flow 3)",
    /// "docker-proxy (pid 812)'s connection for flow 2 (its client on 0.0.0.0:8080)".
    public var text: String {
        let who = "docker-proxy (pid \(proxy.pid))"
        let guess = candidates > 1 ? ", one of \(candidates) connections at that time" : ""
        switch role {
        case .client:
            let next = upstream.map { "; new connection \($0)" + (peerFlow.map { " (flow \($0)\(guess))" } ?? "") } ?? "; its connection to the container not seen yet"
            return "handed to \(who) on \(proxy.listenText)\(next)"
        case .upstream:
            return "\(who)'s connection" + (peerFlow.map { " for flow \($0)\(guess)" } ?? "") + " (its client on \(proxy.listenText))"
        }
    }
}
