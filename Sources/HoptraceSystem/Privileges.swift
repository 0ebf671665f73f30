import CHoptraceShims
import Foundation
import Glibc
import HoptraceCore

/// Least privilege, once the sockets, capture handles and files are open.
///
/// Capabilities belong to each thread, and capset/prctl change only the calling one. hoptrace
/// runs its programs through `Subprocess` (no helper threads) and opens namespace handles on
/// threads that end, so when this runs the main thread is normally the only one; every thread
/// is checked afterwards (`threadsHoldingMore`) and any that still holds more is reported.
public enum Privileges {
    /// What a drop left, for `--debug-caps` and the warning.
    public struct Outcome: Sendable {
        /// Threads (by id) that hold capabilities outside the kept set, each with its credentials.
        public var threadsHoldingMore: [(tid: Int32, credentials: ThreadCredentials)]
        public var steps: [String]
    }

    /// At the start of `watch`, before it runs ip, nft or nsenter: what `keep` holds of this
    /// thread's permitted set becomes inheritable and ambient, so those programs get it also
    /// when hoptrace runs as a user with file capabilities (as root they get it anyway).
    public static func passToChildren(_ keep: CapabilityMask) {
        var eff: UInt64 = 0, prm: UInt64 = 0, inh: UInt64 = 0
        guard CHoptraceShims_caps_get(&eff, &prm, &inh) == 0 else { return }
        let passed = CapabilityMask(bits: prm).intersection(keep)
        guard CHoptraceShims_caps_set(eff, prm, inh | passed.bits) == 0 else { return }
        for cap in passed.numbers { _ = CHoptraceShims_ambient_raise(Int32(cap)) }
    }

    /// `watch`: keeps only `keep` (of what this thread has): effective, permitted and inheritable
    /// become `keep ∩ permitted`, the bounding set `keep` (so a root child cannot regain the rest),
    /// the ambient set `keep ∩ permitted` (so ip, nft and nsenter still get them when hoptrace
    /// runs as a user with file capabilities), and no_new_privs is set.
    @discardableResult
    public static func keepOnly(_ keep: CapabilityMask) -> Outcome {
        var steps: [String] = []
        dropBoundingSet(except: keep, notes: &steps)
        var eff: UInt64 = 0, prm: UInt64 = 0, inh: UInt64 = 0
        if CHoptraceShims_caps_get(&eff, &prm, &inh) != 0 { steps.append("capget: \(String(cString: strerror(errno)))") }
        let kept = CapabilityMask(bits: prm).intersection(keep)
        if CHoptraceShims_caps_set(kept.bits, kept.bits, kept.bits) != 0 {
            steps.append("capset: \(String(cString: strerror(errno)))")
        }
        for cap in kept.numbers where CHoptraceShims_ambient_raise(Int32(cap)) != 0 {
            steps.append("ambient \(cap): \(String(cString: strerror(errno)))")
        }
        if CHoptraceShims_set_no_new_privs() != 0 { steps.append("no_new_privs: \(String(cString: strerror(errno)))") }
        return Outcome(threadsHoldingMore: threads(holdingMoreThan: keep), steps: steps)
    }

    /// `-r`: no privileges at all. Run through sudo (uid 0 with SUDO_UID/SUDO_GID set), it becomes
    /// the invoking user (setgroups/setgid/setuid: as root they set the real, effective and saved ids, glibc applies them to every thread, and
    /// leaving uid 0 clears every capability set); otherwise every capability set is emptied.
    /// no_new_privs either way.
    @discardableResult
    public static func dropAll(environment: [String: String] = ProcessInfo.processInfo.environment) -> Outcome {
        var steps: [String] = []
        dropBoundingSet(except: .empty, notes: &steps)
        if geteuid() == 0, let (uid, gid) = invokingUser(environment) {
            if setgroups(0, nil) != 0 { steps.append("setgroups: \(String(cString: strerror(errno)))") }
            if setgid(gid) != 0 { steps.append("setgid \(gid): \(String(cString: strerror(errno)))") }
            if setuid(uid) != 0 { steps.append("setuid \(uid): \(String(cString: strerror(errno)))") }
        }
        if CHoptraceShims_ambient_clear_all() != 0 { steps.append("ambient: \(String(cString: strerror(errno)))") }
        if CHoptraceShims_caps_set(0, 0, 0) != 0 { steps.append("capset: \(String(cString: strerror(errno)))") }
        if CHoptraceShims_set_no_new_privs() != 0 { steps.append("no_new_privs: \(String(cString: strerror(errno)))") }
        return Outcome(threadsHoldingMore: threads(holdingMoreThan: .empty), steps: steps)
    }

    /// SUDO_UID and SUDO_GID when both are plain non-zero numbers.
    static func invokingUser(_ environment: [String: String]) -> (uid_t, gid_t)? {
        guard let u = environment["SUDO_UID"].flatMap({ UInt32($0) }), let g = environment["SUDO_GID"].flatMap({ UInt32($0) }),
              u != 0, g != 0 else { return nil }
        return (u, g)
    }

    /// PR_CAPBSET_DROP needs CAP_SETPCAP, which a user with file capabilities lacks: then the
    /// bounding set stays, and without uid 0 nothing a child runs can use it anyway.
    private static func dropBoundingSet(except keep: CapabilityMask, notes: inout [String]) {
        let last = (try? String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 63
        var refused = 0
        for cap in 0...min(last, 63) where !keep.contains(bit: cap) {
            if CHoptraceShims_capbset_drop(Int32(cap)) != 0 && errno == EPERM { refused += 1 }
        }
        if refused > 0 && getuid() == 0 { notes.append("bounding set: \(refused) capabilities not dropped (no CAP_SETPCAP)") }
    }

    /// Every thread of this process whose credentials hold more than `allowed`.
    public static func threads(holdingMoreThan allowed: CapabilityMask) -> [(tid: Int32, credentials: ThreadCredentials)] {
        eachThread().filter { !$0.credentials.holdsAtMost(allowed) }
    }

    /// Every thread's credentials from /proc/self/task/TID/status.
    public static func eachThread() -> [(tid: Int32, credentials: ThreadCredentials)] {
        let tids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { Int32($0) }.sorted()
        return tids.compactMap { tid in
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8),
                  let c = ThreadCredentials(procStatus: text) else { return nil }
            return (tid, c)
        }
    }
}
