/// Where hoptrace listens: an interface, optionally inside a named network
/// namespace (`htns1:eth0`). A bare name means the current namespace.
///
/// A point is an index into `CapturePointNames` (its names are stored once per
/// process): every sighting carries one, and copying, comparing and hashing a
/// 4-byte value instead of two strings is most of what makes a sighting cheap.
public struct CapturePoint: Sendable, Hashable, CustomStringConvertible {
    let handle: UInt32

    /// A point from a handle `CapturePointNames.shared` gave out (a packed value's).
    init(handle: UInt32) { self.handle = handle }

    public init(netns: String?, iface: String) {
        handle = CapturePointNames.shared.intern(netns: netns, iface: iface)
    }

    public var netns: String? {
        get { CapturePointNames.shared.names(handle).netns }
        set { self = CapturePoint(netns: newValue, iface: iface) }
    }

    public var iface: String {
        get { CapturePointNames.shared.names(handle).iface }
        set { self = CapturePoint(netns: netns, iface: newValue) }
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

    /// The namespace to enter; nil is hoptrace's own.
    public var networkNamespace: NetworkNamespace? {
        netns.map { NetworkNamespace($0) }
    }

    public var description: String { CapturePointNames.shared.names(handle).description }
}
