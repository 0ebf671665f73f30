import HoptraceCore

/// What the terminal backend reads, already decoded: the pure layer never sees
/// ncurses key codes.
public enum KeyInput: Sendable, Equatable {
    case char(Character)
    case up, down, pageUp, pageDown, home, end
    case tab, enter, escape, backspace
    /// The terminal changed size (KEY_RESIZE, or after a SIGTSTP resume).
    case resize
    /// A left click at a screen cell (0-based column and row).
    case click(x: Int, y: Int)
}

/// What handling an input did, like htop's HandlerResult.
public enum KeyResult: Sendable, Equatable {
    /// State changed: draw the next frame.
    case handled
    /// Not a key for the current mode: nothing changed.
    case ignored
    /// The user asked to quit: restore the terminal and leave.
    case quit
    /// Repaint the whole screen (resize, Ctrl-L): the backend should clear first.
    case redraw
    /// Something only the executable can do; the state is already updated for it.
    case action(Action)
}

/// Work the pure layer asks the executable to do.
public enum Action: Sendable, Equatable {
    /// A lab key (only when the render context says the lab is attached).
    case lab(LabAction)
    /// `x`: explain mode on/off — trace the selected flow's packets with nftables.
    case explain
    /// `w`: capture at the point the selected flow's route leads to, unwatched until now.
    case watch(CapturePoint)
}

/// The lab's knobs the TUI can flip (`hoptrace lab set ...`).
public enum LabAction: String, Sendable, Equatable, CaseIterable {
    /// `n`: the MASQUERADE rule on/off (S1 ⇄ S2).
    case toggleNAT
    /// `d`: iptables FORWARD policy DROP/ACCEPT (S3).
    case toggleForwardDrop
    /// `r`: the RELATED,ESTABLISHED return rule on/off (S4).
    case toggleReturnRule
}
