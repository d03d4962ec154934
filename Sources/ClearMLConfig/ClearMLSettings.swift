import Foundation

/// The typed view of the effective configuration that the rest of the program uses. Building it checks every
/// value's type (errors name the setting and its source); `validate()` checks what needs the file system or
/// several settings at once.
public struct ClearMLSettings: Sendable, Hashable {
    public var api: API
    public var agent: Agent
    public var k8sGlue: K8sGlue
    /// For `~` in paths the glue itself reads (the CA bundle).
    public var homeDirectory: String

    public init(_ config: EffectiveConfig) throws(ConfigError) {
        api = try API(config)
        agent = try Agent(config)
        k8sGlue = try K8sGlue(config)
        homeDirectory = config.homeDirectory
    }

    // MARK: - Validation

    /// Checks that need the file system or several settings: a CA bundle that cannot be read, server URLs
    /// that are not http(s), contradictory git token modes, negative limits. Errors name the source.
    public func validate(isReadableFile: (String) -> Bool = ClearMLSettings.isReadableRegularFile) throws(ConfigError) {
        for (path, url) in [("api.api_server", api.apiServer), ("api.web_server", api.webServer), ("api.files_server", api.filesServer)] {
            if let control = url.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw ConfigError(.invalidValue, source: api.sources[path] ?? .defaultValue,
                                  message: "\(path) holds a control character (U+\(String(format: "%04X", control.value))), which no URL can",
                                  hint: "remove it; write the full URL, e.g. https://api.clear.ml")
            }
            let lowered = url.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8 else {
                throw ConfigError(.invalidValue, source: api.sources[path] ?? .defaultValue,
                                  message: "\(path) must be an http:// or https:// URL, but is '\(url)'",
                                  hint: "write the full URL, e.g. https://api.clear.ml or http://localhost:8008")
            }
        }
        if case let .caBundle(path, source) = api.verifyCertificate {
            let expanded = PathExpansion.expandingTilde(path, home: homeDirectory)
            guard isReadableFile(expanded) else {
                throw ConfigError(.unreadableFile, source: source,
                                  message: "the CA bundle '\(expanded)' named by api.verify_certificate cannot be read",
                                  hint: "fix the path or its permissions, or set it to true (system CAs) or false (no verification)")
            }
        }
        if agent.gitUseMSEntraToken && agent.gitUseAzurePAT {
            let where1 = agent.gitTokenSources["agent.git_use_ms_entra_token"]?.description ?? "default"
            let where2 = agent.gitTokenSources["agent.git_use_azure_pat"]?.description ?? "default"
            throw ConfigError(.invalidValue, origin: nil,
                              message: "agent.git_use_ms_entra_token (\(where1)) and agent.git_use_azure_pat (\(where2)) are both on",
                              hint: "they are mutually exclusive: turn one of them off")
        }
        if let maxPods = k8sGlue.maxPods, maxPods < 0 {
            throw ConfigError(.invalidValue, source: k8sGlue.sources["k8s_glue.max_pods"] ?? .defaultValue,
                              message: "k8s_glue.max_pods must not be negative, but is \(maxPods)",
                              hint: "use a positive limit, or leave it unset for no limit")
        }
        if k8sGlue.completedPodDeletionDelayMinutes < 0 {
            throw ConfigError(.invalidValue,
                              source: k8sGlue.sources["k8s_glue.completed_pod_deletion_delay_minutes"] ?? .defaultValue,
                              message: "k8s_glue.completed_pod_deletion_delay_minutes must not be negative",
                              hint: "use 0 to delete finished pods at once")
        }
        if k8sGlue.podMonitorLogBatchSize < 1 {
            throw ConfigError(.invalidValue, source: k8sGlue.sources["k8s_glue.pod_monitor_log_batch_size"] ?? .defaultValue,
                              message: "k8s_glue.pod_monitor_log_batch_size must be at least 1", hint: "use the default, 5")
        }
    }

    public static func isReadableRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isReadableFile(atPath: path)
    }
}
