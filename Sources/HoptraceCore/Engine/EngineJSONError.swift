/// The engine's answer could not be read. `source` is the request path ("/containers/json").
public enum EngineJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    case notJSON(source: String, detail: String)
    /// JSON, but not the shape the API documents: a missing or mistyped field.
    case unexpectedShape(source: String, detail: String)
    /// More than hoptrace reads: a field longer than `EngineContainer.fieldLimit`, a listing of
    /// more than `EngineContainer.listLimit` containers.
    case tooLarge(source: String, detail: String)

    public var description: String {
        switch self {
        case .notJSON(let source, let detail): "the engine's answer to GET \(source) is not JSON (\(detail))"
        case .unexpectedShape(let source, let detail): "unexpected answer to GET \(source): \(detail)"
        case .tooLarge(let source, let detail): "too large an answer to GET \(source): \(detail)"
        }
    }
}
