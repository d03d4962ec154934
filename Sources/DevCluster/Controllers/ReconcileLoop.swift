import Foundation
import JSONValue
import KubeAPI
import Synchronization

/// The shape every controller here shares: watch some kinds in the store, and after a change that concerns
/// the controller run one reconciling pass over the whole state. Never two passes at once; changes that
/// arrive during a pass cause exactly one more (level-triggered, as kube-controller-manager's work queues
/// coalesce keys). `resync` adds a pass every so often for what no event announces (time passing).
final class ReconcileLoop: Sendable {
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let state = Mutex<(running: Bool, dirty: Bool)>((false, false))

    func start(store: ObjectStore, watching resources: [ResourceType], resync: Duration? = nil,
               relevant: @escaping @Sendable (StoreEvent) -> Bool = { _ in true },
               pass: @escaping @Sendable () async -> Void) async {
        var started: [Task<Void, Never>] = []
        for resource in resources {
            guard let labels = try? LabelSelector(parsing: nil), let fields = try? FieldSelector(parsing: nil),
                  let subscription = try? await store.subscribe(WatchFilter(resource: resource, namespace: nil, labels: labels, fields: fields), from: nil)
            else { continue }
            started.append(Task { [weak self] in
                for await event in subscription.stream where relevant(event) {
                    guard let self else { return }
                    self.trigger(pass)
                }
            })
        }
        if let resync {
            started.append(Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: resync)
                    guard let self, !Task.isCancelled else { return }
                    self.trigger(pass)
                }
            })
        }
        tasks.withLock { $0 += started }
        trigger(pass)
    }

    /// Asks for a pass: starts one now, or, if one is running, one more after it.
    func trigger(_ pass: @escaping @Sendable () async -> Void) {
        let first = state.withLock { state -> Bool in
            if state.running { state.dirty = true; return false }
            state.running = true
            return true
        }
        guard first else { return }
        Task {
            while true {
                state.withLock { $0.dirty = false }
                await pass()
                let again = state.withLock { state -> Bool in
                    if state.dirty { return true }
                    state.running = false
                    return false
                }
                if !again { return }
            }
        }
    }

    func stop() {
        tasks.withLock { tasks in
            for task in tasks { task.cancel() }
            tasks.removeAll()
        }
    }

    /// The controller owner reference of an object (the one with `controller: true`), if any.
    static func controller(of object: JSONValue) -> JSONValue? {
        (object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).first { $0["controller"]?.boolValue == true }
    }
}

extension ReconcileLoop {
    static func hasOwners(_ object: JSONValue) -> Bool {
        !(object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).isEmpty
    }
}
