/// One entry of `ip -j netns list-id`: `{"nsid":1,"name":"htns1"}`, how this namespace names
/// another. `name` is absent for an id no name under /run/netns stands for.
public struct IPNetnsIDJSON: IPJSONEntry, Sendable, Hashable {
    public var nsid: IPJSONScalar?
    public var name: IPJSONScalar?

    private enum CodingKeys: String, CodingKey {
        case nsid, name
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        nsid = fields.scalar(.nsid)
        name = fields.scalar(.name)
    }
}
