import Foundation

/// JSONDecoder's errors in the words of `EngineJSONError`, and the checks on decoded text.
enum EngineJSON {
    static func decode<T: Decodable>(_ type: T.Type, from json: Data, source: String) throws(EngineJSONError) -> T {
        do {
            return try JSONDecoder().decode(type, from: json)
        } catch let error as DecodingError {
            throw failure(error, json: json, source: source)
        } catch {
            throw .notJSON(source: source, detail: "\(error)")
        }
    }

    private static func failure(_ error: DecodingError, json: Data, source: String) -> EngineJSONError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let start = String(decoding: json.prefix(40), as: UTF8.self)
            return .notJSON(source: source, detail: json.isEmpty ? "the body is empty" : "it starts \"\(start)\(json.count > 40 ? "…" : "")\"")
        case .dataCorrupted(let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath))': \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath + [key]))' is missing")
        case .valueNotFound(_, let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath))' is null")
        case .typeMismatch(let type, let context):
            let what = context.codingPath.isEmpty ? "the answer" : "'\(path(context.codingPath))'"
            return .unexpectedShape(source: source, detail: "\(what) is not \(noun(type))")
        @unknown default:
            return .unexpectedShape(source: source, detail: "\(error)")
        }
    }

    /// "[2].NetworkSettings.Networks.bridge.IPAddress".
    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out
    }

    private static func noun(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Bool.self { return "true or false" }
        if type is any BinaryInteger.Type { return "an integer" }
        // JSONDecoder names the containers it expected [Any] and [String: Any].
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "of the documented type"
    }

    /// `text`, refused past `EngineContainer.fieldLimit` bytes.
    static func bounded(_ text: String, _ field: String, source: String) throws(EngineJSONError) -> String {
        let count = text.utf8.count
        guard count <= EngineContainer.fieldLimit else {
            throw .tooLarge(source: source, detail: "'\(field)' holds \(count) bytes, more than the \(EngineContainer.fieldLimit) hoptrace reads")
        }
        return text
    }

    /// An optional address or similar: bounded, and "" becomes nil.
    static func text(_ text: String?, _ field: String, source: String) throws(EngineJSONError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return try bounded(text, field, source: source)
    }

    /// 64 lowercase hex digits, as Docker and Podman write IDs (and nothing a path could misread).
    static func containerID(_ id: String, _ field: String, source: String) throws(EngineJSONError) -> String {
        guard id.utf8.count == 64, id.utf8.allSatisfy(isLowerHex) else {
            throw .unexpectedShape(source: source, detail: "'\(field)' is not a 64-digit hex container ID")
        }
        return id
    }

    static func isLowerHex(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
    }

    /// `NetworkSettings.Networks`, sorted by name; a null entry counts as attached with no addresses.
    static func networks(_ wire: [String: WireNetwork?]?, source: String) throws(EngineJSONError) -> [EngineNetworkAttachment] {
        var out: [EngineNetworkAttachment] = []
        for (name, network) in wire ?? [:] {
            let field = "NetworkSettings.Networks"
            out.append(EngineNetworkAttachment(
                network: try bounded(name, field, source: source),
                ipAddress: try text(network?.ipAddress, field + ".IPAddress", source: source),
                gateway: try text(network?.gateway, field + ".Gateway", source: source),
                macAddress: try text(network?.macAddress, field + ".MacAddress", source: source),
                ipv6: try text(network?.globalIPv6Address, field + ".GlobalIPv6Address", source: source)))
        }
        return out.sorted { $0.network.utf8.lexicographicallyPrecedes($1.network.utf8) }
    }
}
