/// The edit of one test that a near miss proposes: the rule's value made to take in the packet's.
extension RuleTest {
    /// This test, changed so that the packet matches it; nil when no such change is a plain edit.
    func corrected(to p: RulePacket) -> RuleTest? {
        guard op == .eq || op == .anyOf, case .success(let key) = packetKey(p) else { return nil }
        let single: MatchValue? = switch key {
        case .address(let a): .address(a)
        case .number(let n): .number(n)
        case .name(let s): .name(s)
        case .bits, .local, .absent: nil
        }
        var fixed = self
        switch (value, key) {
        case (.prefix(let prefix), .address(let a)):
            fixed.value = .prefix(IPPrefix(a, prefixLength: prefix.length))
        case (.set(let elements), _):
            guard let single else { return nil }
            fixed.value = .set(elements + [single])
        case (.name, .bits(let b)) where field == .ctState, (.flags, .bits(let b)) where field == .ctState:
            guard let state = CtState.allCases.first(where: { $0.bit == b }) else { return nil }
            let names: [String] = if case .flags(let n) = value { n } else if case .name(let n) = value { [n] } else { [] }
            fixed.value = .flags(names + [state.rawValue])
            fixed.op = .anyOf
        case (.address, _), (.addressRange, _), (.number, _), (.numberRange, _):
            guard let single else { return nil }
            fixed.value = single
        case (.name, .name(let name)) where field.isInterface:
            fixed.value = .name(name)
        default:
            return nil
        }
        return fixed
    }
}
