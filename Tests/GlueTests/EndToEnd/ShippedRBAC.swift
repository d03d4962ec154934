import DevCluster
import DevClusterTesting
import Foundation
import Glue
import JSONValue
import KubeAPI
import Synchronization

/// The glue's RBAC as shipped in deploy/ (deploy/README.md): the ServiceAccount and base Role of
/// rbac.yaml, and the Roles optional/ adds for leader election and Job mode. The end-to-end tests run the
/// glue as that ServiceAccount with exactly the parts its features need, never as the cluster admin.
enum ShippedRBAC {
    enum Part: String, CaseIterable, Sendable {
        case base = "rbac.yaml"
        case leaderElection = "optional/leader-election.yaml"
        case jobMode = "optional/job-mode.yaml"
        case podClearMLConf = "optional/pod-clearml-conf.yaml"
    }

    static let namespace = "clearml"
    static let serviceAccount = "clearml-glue"

    static var deployDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy")
    }

    /// The YAML documents of one file, parsed with the project's YAML reader.
    static func documents(_ part: Part) throws -> [JSONValue] {
        let text = try String(contentsOf: deployDirectory.appendingPathComponent(part.rawValue), encoding: .utf8)
        var documents: [String] = [""]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces) == "---" { documents.append("") } else { documents[documents.count - 1] += line + "\n" }
        }
        return try documents.compactMap { document in
            let value = try JSONValue.decodeYAML(document)
            return value == .null ? nil : value
        }
    }

    /// The rules of the Roles in these parts.
    static func rules(_ parts: [Part]) throws -> [PolicyRule] {
        try parts.flatMap { part in
            try documents(part).filter { $0["kind"] == "Role" }.flatMap { ($0["rules"]?.arrayValue ?? []).map(PolicyRule.init) }
        }
    }

    /// The parts a glue with these features runs under.
    static func parts(leaderElection: Bool, jobMode: Bool) -> [Part] {
        [.base] + (leaderElection ? [.leaderElection] : []) + (jobMode ? [.jobMode] : [])
    }
}

/// Which optional Roles a harness has applied.
final class GrantedParts: Sendable {
    private let parts = Mutex<Set<ShippedRBAC.Part>>([])
    func insert(_ part: ShippedRBAC.Part) -> Bool { parts.withLock { $0.insert(part).inserted } }
    func contains(_ part: ShippedRBAC.Part) -> Bool { parts.withLock { $0.contains(part) } }
}

extension GlueHarness {
    /// Applies a part of the shipped RBAC (as the admin), once.
    func grant(_ part: ShippedRBAC.Part) async throws {
        guard granted.insert(part) else { return }
        try await createObjects(try ShippedRBAC.documents(part), admin: kube)
    }

    /// The parts `configuration` needs: leader election and Job mode add theirs to the base.
    func grant(for configuration: GlueConfiguration) async throws {
        if configuration.leaderElection != nil { try await grant(.leaderElection) }
        if configuration.render.kind == .job { try await grant(.jobMode) }
        if configuration.render.podClearMLConf != nil { try await grant(.podClearMLConf) }
    }
}
