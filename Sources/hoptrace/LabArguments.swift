import ArgumentParser
import HoptraceLab

// `lab up --scenario` and `lab set KNOB VALUE` parse straight into HoptraceLab's enums: a
// misspelling is refused before anything runs, with the choices, and `--help` lists them.
// The spellings stay HoptraceLab's (which does not import ArgumentParser); these only
// adapt them. The protocol is module-qualified because the conformances are retroactive
// on purpose (type and protocol both imported), which also silences SE-0364's warning.

extension LabScenario: ArgumentParser.ExpressibleByArgument {
    /// S1…S7 in any case (`s3` too), as `LabScenario(parsing:)` reads them.
    public init?(argument: String) {
        guard let scenario = try? LabScenario(parsing: argument) else { return nil }
        self = scenario
    }
}

/// The knob names exactly as written (`return-rule`), from the raw values.
extension LabKnob: ArgumentParser.ExpressibleByArgument {}

extension LabKnobValue: ArgumentParser.ExpressibleByArgument {
    /// on/off/accept/drop in any case, and the 1/yes/true, 0/no/false aliases; `--help` and
    /// the error for a bad value list the four names (the raw values).
    public init?(argument: String) {
        self.init(text: argument)
    }
}
