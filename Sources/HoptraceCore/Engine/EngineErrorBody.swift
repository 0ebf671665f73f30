import Foundation

/// The `message` of an engine's error answer (`{"message":"No such container: x"}`), if the body
/// is such an object; at most `EngineContainer.fieldLimit` bytes of it.
public enum EngineErrorBody {
    public static func message(in body: Data) -> String? {
        struct Wire: Decodable { var message: String? }
        guard let message = (try? JSONDecoder().decode(Wire.self, from: body))?.message else { return nil }
        let bytes = Array(message.utf8)
        guard bytes.count > EngineContainer.fieldLimit else { return message }
        return String(decoding: bytes.prefix(EngineContainer.fieldLimit), as: UTF8.self) + "…"
    }
}
