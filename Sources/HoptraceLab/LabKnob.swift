/// The knobs `hoptrace lab set KNOB VALUE` turns, spelled as on its command line.
/// Typed so that a misspelt knob is refused while the arguments are parsed, with the list
/// of knobs: the executable makes this and `LabKnobValue` `ExpressibleByArgument` (this
/// target does not import ArgumentParser). Which value fits which knob is for
/// `LabToggle(knob:value:)` to say.
public enum LabKnob: String, Sendable, CaseIterable {
    case nat
    case forward
    case outboundRule = "outbound-rule"
    case returnRule = "return-rule"
    case bridgeRule = "bridge-rule"
    case bridgeFilter = "bridge-filter"
    case defaultRoute = "default-route"
    case ipForward = "ip-forward"
}

/// VALUE of `lab set`: on|off for every knob but `forward`, which takes accept|drop.
public enum LabKnobValue: String, Sendable, CaseIterable {
    case on, off, accept, drop

    /// Any case; 1/yes/true also mean on and 0/no/false off, as `lab set` has always taken.
    public init?(text: String) {
        switch text.lowercased() {
        case "on", "1", "yes", "true": self = .on
        case "off", "0", "no", "false": self = .off
        case "accept": self = .accept
        case "drop": self = .drop
        default: return nil
        }
    }
}

extension LabToggle {
    /// `lab set KNOB VALUE`; refuses a value the knob does not take (`forward on`, `nat drop`).
    public init(knob: LabKnob, value: LabKnobValue) throws {
        func onOff() throws -> Bool {
            switch value {
            case .on: return true
            case .off: return false
            case .accept, .drop:
                throw LabError.invalidSetting("'\(knob.rawValue)' takes on or off, not '\(value.rawValue)'")
            }
        }
        switch knob {
        case .forward:
            switch value {
            case .accept: self = .forward(.accept)
            case .drop: self = .forward(.drop)
            case .on, .off: throw LabError.invalidSetting("'forward' takes accept or drop, not '\(value.rawValue)'")
            }
        case .nat: self = try .nat(onOff())
        case .outboundRule: self = try .outboundRule(onOff())
        case .returnRule: self = try .returnRule(onOff())
        case .bridgeRule: self = try .bridgeRule(onOff())
        case .bridgeFilter: self = try .bridgeFilter(onOff())
        case .defaultRoute: self = try .defaultRoute(onOff())
        case .ipForward: self = try .ipForward(onOff())
        }
    }
}
