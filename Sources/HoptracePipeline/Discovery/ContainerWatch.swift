import HoptraceCapture
import HoptraceCore

/// The containers a run started with, and which of them it watches: what a container starting
/// or stopping mid-run is compared against.
public struct ContainerWatch: Sendable {
    public struct Running: Sendable, Hashable {
        public var id: String
        public var name: String
        public var engine: ContainerEngineKind
    }

    public enum Change: Sendable, Equatable {
        case started(Running)
        case stopped(Running)
    }

    public var endpoints: [EngineEndpoint]
    /// The engine behind each endpoint, in the same order.
    public var kinds: [ContainerEngineKind]
    public var running: [Running]

    /// Seconds between two looks at the engines.
    public static let interval = 2.0

    /// What changed from `running` to `now`, by id (a container recreated under the same name
    /// is one stop and one start), stops first, each by name.
    public static func changes(from before: [Running], to now: [Running]) -> [Change] {
        let was = Set(before.map(\.id)), is_ = Set(now.map(\.id))
        let stopped = before.filter { !is_.contains($0.id) }.sorted { $0.name < $1.name }.map(Change.stopped)
        let started = now.filter { !was.contains($0.id) }.sorted { $0.name < $1.name }.map(Change.started)
        return stopped + started
    }

    /// The notice for a change: kind and words (the run's points named, so the reader knows what
    /// capture went with it, and what to run to follow a new one).
    public func notice(_ change: Change, points: [CapturePoint]) -> (kind: String, message: String) {
        switch change {
        case .stopped(let c):
            let gone = points.filter { $0.netns == c.name }.map(\.description)
            let what = gone.isEmpty ? "not watched" : "its points \(gone.joined(separator: ", ")) are no longer captured; the others keep running"
            return ("container-stopped", "\(c.engine.rawValue) container \(c.name) (\(c.id.prefix(12))) stopped: \(what)")
        case .started(let c):
            return ("container-started", "\(c.engine.rawValue) container \(c.name) (\(c.id.prefix(12))) started; not watched by this run (its points were fixed at start): 'hoptrace watch --container \(c.name)' follows it")
        }
    }
}
