/// One entry of a link's `addr_info`, as `ip -j addr show` prints it:
/// `{"family":"inet","local":"172.18.0.1","prefixlen":24,"scope":"global","label":"docker1",…}`.
/// Only the fields hoptrace reads are decoded.
public struct IPAddrInfoJSON: Decodable, Sendable, Hashable {
    /// The address; absent from the `{}` `ip` prints for a family it was told to leave out.
    public var local: IPJSONScalar?
    public var prefixlen: IPJSONScalar?
    /// "global", "site", "link" or "host".
    public var scope: IPJSONScalar?

    /// A link's `addr_info` as a whole.
    public enum List: Sendable, Hashable {
        case entries([IPAddrInfoJSON])
        /// Anything but a list of objects (null included): JSONSerialization's `as? [[String: Any]]` failed on it.
        case other
    }

    private enum CodingKeys: String, CodingKey {
        case local, prefixlen, scope
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        local = fields.scalar(.local)
        prefixlen = fields.scalar(.prefixlen)
        scope = fields.scalar(.scope)
    }
}

extension KeyedDecodingContainer {
    /// The `addr_info` at `key`; nil when the key is absent.
    func addrInfo(_ key: Key) -> IPAddrInfoJSON.List? {
        guard contains(key) else { return nil }
        return (try? decode([IPAddrInfoJSON].self, forKey: key)).map(IPAddrInfoJSON.List.entries) ?? .other
    }
}
