/// What can go wrong building a topology from iproute2's output. Each case reads as a sentence.
public enum TopologyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is not JSON at all (`source` names the command, e.g. "ip -j link").
    case malformedJSON(netns: String?, source: String, detail: String)
    /// JSON, but not the shape iproute2 prints: a missing or mistyped field.
    case unexpectedShape(netns: String?, source: String, detail: String)
    /// More than hoptrace reads (`TopologyLimits`): too many links, addresses, routes or JSON
    /// values, JSON nested too deep, or too many bytes for one namespace or for all of them.
    /// Entries, values and depth are counted before anything is decoded.
    case tooLarge(netns: String?, source: String, detail: String)
    /// Two snapshots claim the same namespace name.
    case duplicateNamespace(String?)
    /// A question about a namespace that has no snapshot.
    case unknownNamespace(String?)

    public var description: String {
        switch self {
        case .malformedJSON(let ns, let source, let detail):
            "\(Self.name(ns)): the output of '\(source)' is not valid JSON (\(detail))"
        case .unexpectedShape(let ns, let source, let detail):
            "\(Self.name(ns)): unexpected output from '\(source)': \(detail)"
        case .tooLarge(let ns, let source, let detail):
            "\(Self.name(ns)): too much output from '\(source)': \(detail)"
        case .duplicateNamespace(let ns):
            "namespace \(Self.name(ns)) was given twice"
        case .unknownNamespace(let ns):
            "namespace \(Self.name(ns)) is not part of the watched topology"
        }
    }

    /// How messages name a namespace; nil is the one hoptrace runs in.
    static func name(_ netns: String?) -> String { netns ?? "the current namespace" }
}
