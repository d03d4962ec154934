import JSONValue
import Foundation
import KubeAPI

/// One change to a stored object, kept in the store's history so watches can resume from a version.
struct StoreEvent: Sendable {
    enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    var kind: Kind
    var resource: ResourceType
    var object: JSONValue
    /// The object before this change, so a selector watch can turn "stopped matching" into DELETED.
    var previous: JSONValue?
    var resourceVersion: Int64

    var namespace: String { object[path: "metadata", "namespace"]?.stringValue ?? "" }
}

/// What a watch wants to see: one resource, optionally one namespace and selectors.
struct WatchFilter: Sendable {
    var resource: ResourceType
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object[path: "metadata", "namespace"]?.stringValue != namespace { return false }
        return labels.matches(object) && fields.matches(object)
    }

    /// The event as this watcher must see it, or nil when it does not concern it (apiserver semantics:
    /// an object moving out of the selection is reported DELETED, one moving in is ADDED).
    func translate(_ event: StoreEvent) -> (type: String, object: JSONValue)? {
        guard event.resource == resource else { return nil }
        let now = matches(event.object)
        switch event.kind {
        case .added: return now ? ("ADDED", event.object) : nil
        case .deleted: return now ? ("DELETED", event.object) : nil
        case .modified:
            let before = event.previous.map(matches) ?? false
            switch (before, now) {
            case (true, true): return ("MODIFIED", event.object)
            case (false, true): return ("ADDED", event.object)
            case (true, false): return ("DELETED", event.object)
            case (false, false): return nil
            }
        }
    }
}
