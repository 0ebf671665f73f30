/// Where hoptrace listens: an interface, optionally inside a named network
/// namespace (`htns1:eth0`). A bare name means the current namespace.
public struct CapturePoint: Sendable, Hashable, CustomStringConvertible {
    public var netns: String?
    public var iface: String

    public init(netns: String?, iface: String) {
        self.netns = netns
        self.iface = iface
    }

    /// Parses `[NETNS:]IFACE`. NETNS may be a path (`/proc/123/ns/net:eth0`).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else {
            guard !text.isEmpty else { return nil }
            self.init(netns: nil, iface: text)
            return
        }
        let ns = String(text[..<colon]), iface = String(text[text.index(after: colon)...])
        guard !ns.isEmpty, !iface.isEmpty, iface.count < 16 else { return nil }
        self.init(netns: ns, iface: iface)
    }

    /// The namespace file to enter: a path as given, or /run/netns/NAME.
    public var netnsPath: String? {
        netns.map { $0.hasPrefix("/") ? $0 : "/run/netns/" + $0 }
    }

    public var description: String { netns.map { "\($0):\(iface)" } ?? iface }
}
