/// What a word the user typed names among the containers.
public enum ContainerMatch: Sendable, Hashable {
    case one(EngineContainer)
    case none
    /// An ID prefix of several (or one name in two engines' lists), in the order given.
    case ambiguous([EngineContainer])
}

extension EngineContainer {
    /// The docker CLI's rules, exact name first: an exact name ("web" or "/web"), else an exact
    /// full ID, else a unique prefix of one ID (one hex digit is enough). So a container named
    /// like a prefix of another's ID is found by its name. Compared byte for byte: String's
    /// `==` would call two different spellings of "é" equal, and the engine would not.
    public static func match(_ text: String, in containers: [EngineContainer]) -> ContainerMatch {
        let name = withoutSlash(text)
        guard !name.isEmpty else { return .none }
        let byName = containers.filter { $0.name.utf8.elementsEqual(name.utf8) }
        if !byName.isEmpty { return decided(byName) }
        let byID = containers.filter { $0.id.utf8.elementsEqual(text.utf8) }
        if !byID.isEmpty { return decided(byID) }
        guard text.utf8.allSatisfy(EngineJSON.isLowerHex) else { return .none }
        let byPrefix = containers.filter { $0.id.utf8.starts(with: text.utf8) }
        return byPrefix.isEmpty ? .none : decided(byPrefix)
    }

    private static func decided(_ found: [EngineContainer]) -> ContainerMatch {
        found.count == 1 ? .one(found[0]) : .ambiguous(found)
    }
}
