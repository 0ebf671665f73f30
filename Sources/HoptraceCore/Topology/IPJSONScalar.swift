/// One value of iproute2's JSON in a field hoptrace reads as a number or a name, told apart
/// the way JSONSerialization's `as? Int` and `as? String` told them apart (hoptrace read `ip -j`
/// with it before JSONDecoder). Decoding never fails on a mistyped value: the reader decides
/// what it means. The snapshot refuses an `ifindex` that is no integer; `lab status` shows "?"
/// for a name that is no string.
public enum IPJSONScalar: Decodable, Sendable, Hashable {
    /// A number that is exactly an Int (`100`, also `1.0` and `1e2`), or `true`/`false` as 1/0:
    /// JSONSerialization's NSNumber gave those to `as? Int`.
    case integer(Int)
    case string(String)
    /// null, a number that is no Int (`1.5`, `1e300`, `9223372036854775808`), a list or an object.
    case other

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        // `StrictJSON` has refused malformed strings and numbers, so each failure below is a
        // value of another type (or a number no Int can hold), never broken JSON.
        if let flag = try? value.decode(Bool.self) {
            self = .integer(flag ? 1 : 0)
        } else if let number = try? value.decode(Int.self) {
            self = .integer(number)
        } else if let text = try? value.decode(String.self) {
            self = .string(text)
        } else {
            self = .other
        }
    }

    /// The value as `as? Int` gave it; nil for anything else.
    public var integerValue: Int? {
        if case .integer(let number) = self { return number }
        return nil
    }

    /// The value as `as? String` gave it; nil for anything else.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

extension KeyedDecodingContainer {
    /// The scalar at `key`; nil only when the key is absent. A null is there (`.other`):
    /// JSONSerialization kept it as NSNull, which `as? Int` and `as? String` refused.
    func scalar(_ key: Key) -> IPJSONScalar? {
        guard contains(key) else { return nil }
        return (try? decode(IPJSONScalar.self, forKey: key)) ?? .other
    }
}
