import Foundation
import JSONValue

/// The pure parts of `clearml-glue init`: reading the credentials block the web UI copies, deriving server
/// URLs from one another, and writing a clearml.conf with an `agent` section. The command does the I/O.
public enum InitWizard {
    public static let defaultWebServer = "https://app.clear.ml"

    public struct Credentials: Sendable, Hashable {
        public var accessKey: String
        public var secretKey: String
        public var apiServer: String?
        public var webServer: String?
        public var filesServer: String?

        public init(accessKey: String, secretKey: String, apiServer: String? = nil, webServer: String? = nil, filesServer: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.apiServer = apiServer
            self.webServer = webServer
            self.filesServer = filesServer
        }
    }

    public struct Answers: Sendable, Hashable {
        public var apiServer: String
        public var webServer: String
        public var filesServer: String
        public var accessKey: String
        public var secretKey: String
        public var gitUser: String?
        public var gitPass: String?
        public var extraIndexURLs: [String]

        public init(apiServer: String, webServer: String, filesServer: String, accessKey: String, secretKey: String,
                    gitUser: String? = nil, gitPass: String? = nil, extraIndexURLs: [String] = []) {
            self.apiServer = apiServer
            self.webServer = webServer
            self.filesServer = filesServer
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.gitUser = gitUser
            self.gitPass = gitPass
            self.extraIndexURLs = extraIndexURLs
        }
    }

    // MARK: - The pasted block

    /// True once the pasted lines hold a whole block: at least one `{` and balanced braces (outside strings
    /// and comments). Text without any brace is complete at once (a one-line paste).
    public static func pasteIsComplete(_ text: String) -> Bool {
        var depth = 0
        var sawBrace = false
        var inString = false
        var escaped = false
        var inComment = false
        for character in text {
            if inComment {
                if character.isNewline { inComment = false }
                continue
            }
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "#": inComment = true
            case "{":
                depth += 1
                sawBrace = true
            case "}": depth -= 1
            default: break
            }
        }
        return !text.trimmingWhitespace.isEmpty && (!sawBrace || depth <= 0)
    }

    /// Reads `api { web_server: ..., api_server: ..., files_server: ..., credentials { "access_key" = "...",
    /// "secret_key" = "..." } }` as the web UI copies it; the `api` wrapper is optional.
    public static func parseCredentials(_ text: String) throws(ConfigError) -> Credentials {
        let parsed: ConfigObject
        do {
            parsed = try HOCON.parse(text, file: "pasted text", readFile: { _ in nil })
        } catch {
            throw ConfigError(.syntax, origin: error.origin, message: "the pasted text is not a credentials block (\(error.message))",
                              hint: "paste the whole block from Settings > Workspace > Create new credentials > Copy to clipboard")
        }
        let section = parsed["api"]?.objectValue ?? parsed
        let config = EffectiveConfig(root: section)
        func field(_ path: String) -> String? { (try? config.nonEmptyString(path)) ?? nil }
        guard let accessKey = field("credentials.access_key") ?? field("access_key"),
              let secretKey = field("credentials.secret_key") ?? field("secret_key") else {
            throw ConfigError(.missingValue, origin: nil, message: "no access_key and secret_key found in the pasted text",
                              hint: "paste the whole block from Settings > Workspace > Create new credentials > Copy to clipboard")
        }
        return Credentials(accessKey: accessKey, secretKey: secretKey,
                           apiServer: field("api_server").map(normalizedURL),
                           webServer: field("web_server").map(normalizedURL),
                           filesServer: field("files_server").map(normalizedURL))
    }

    // MARK: - Server URLs

    /// Trims blanks and trailing slashes.
    public static func normalizedURL(_ text: String) -> String {
        var url = text.trimmingWhitespace
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// An http(s) URL, normalized; errors say which server and what to type.
    public static func validatedURL(_ text: String, for what: String) throws(ConfigError) -> String {
        let url = normalizedURL(text)
        let lowered = url.lowercased()
        guard (lowered.hasPrefix("http://") || lowered.hasPrefix("https://")), URLParts(url) != nil else {
            throw ConfigError(.invalidValue, origin: what, message: "'\(text)' is not an http:// or https:// URL",
                              hint: "type the full URL, e.g. https://api.clear.ml or http://my-server:8008")
        }
        return url
    }

    /// Web and file server next to an API server: hosted `api.` names become `app.` and `files.`, a
    /// self-hosted server's port 8008 becomes 8080 and 8081; otherwise the same URL is suggested.
    public static func servers(derivedFromAPI api: String) -> (web: String, files: String) {
        guard let parts = URLParts(normalizedURL(api)) else { return (api, api) }
        for (apiPrefix, webPrefix, filesPrefix) in [("api.", "app.", "files."), ("demoapi.", "demoapp.", "demofiles.")]
            where parts.host.hasPrefix(apiPrefix) {
            let rest = parts.host.dropFirst(apiPrefix.count)
            return (parts.with(host: webPrefix + rest).text, parts.with(host: filesPrefix + rest).text)
        }
        if parts.port == 8008 {
            return (parts.with(port: 8080).text, parts.with(port: 8081).text)
        }
        return (parts.text, parts.text)
    }

    /// The API server behind a web server URL (the inverse of `servers(derivedFromAPI:)`).
    public static func apiServer(derivedFromWeb web: String) -> String {
        guard let parts = URLParts(normalizedURL(web)) else { return web }
        for (webPrefix, apiPrefix) in [("app.", "api."), ("demoapp.", "demoapi.")] where parts.host.hasPrefix(webPrefix) {
            return parts.with(host: apiPrefix + parts.host.dropFirst(webPrefix.count)).text
        }
        if parts.port == 8080 { return parts.with(port: 8008).text }
        return parts.text
    }

    // MARK: - Messages

    /// `AKIA****` style: enough to recognise the key, nothing of the secret.
    public static func maskedKey(_ key: String) -> String {
        String(key.prefix(4)) + String(repeating: "*", count: max(4, key.count - 4))
    }

    public static func existingFileMessage(path: String) -> ConfigError {
        ConfigError(.invalidValue, origin: path,
                    message: "configuration file already exists; init never overwrites it",
                    hint: "to add the agent section, run 'clearml-glue init --output /tmp/clearml-agent.conf' and copy its "
                        + "'agent { ... }' block into \(path) after the 'api' section, or add it by hand "
                        + "(see 'clearml-glue config' for the effective values)")
    }

    // MARK: - The file

    /// A complete clearml.conf: the `api` section and an `agent` section with the answers, everything quoted so
    /// secrets with `$`, `#` or quotes survive. `HOCON.parse` reads it back.
    public static func renderConfiguration(_ answers: Answers) -> String {
        func q(_ text: String) -> String { JSONValue.quote(text) }
        let indexes = "[" + answers.extraIndexURLs.map(q).joined(separator: ", ") + "]"
        return """
        # ClearML configuration, written by 'clearml-glue init'.
        # Environment variables (CLEARML_*, K8S_GLUE_*) override these values; 'clearml-glue config --show-sources'
        # prints the effective configuration and where each value comes from.
        api {
            # The API server (port 8008 on a self-hosted server), not the web app.
            api_server: \(q(answers.apiServer))
            web_server: \(q(answers.webServer))
            files_server: \(q(answers.filesServer))
            # From the web app: Settings > Workspace > Create new credentials.
            # Overridden by CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY.
            credentials {
                "access_key" = \(q(answers.accessKey))
                "secret_key" = \(q(answers.secretKey))
            }
        }

        agent {
            # Git credentials for cloning task repositories; leave blank for SSH keys or public repositories.
            # Overridden by CLEARML_AGENT_GIT_USER / CLEARML_AGENT_GIT_PASS.
            git_user: \(q(answers.gitUser ?? ""))
            git_pass: \(q(answers.gitPass ?? ""))
            # Send the git credentials only to this host (blank: any host).
            git_host: ""
            # Clone over SSH whatever the repository URL says (needs blank git_user/git_pass).
            force_git_ssh_protocol: false
            # Unique worker name; blank means generated. Overridden by CLEARML_WORKER_ID.
            worker_id: ""
            worker_name: ""
            # Python for task environments; blank means the default python of the task image.
            python_binary: ""
            package_manager {
                # pip, conda, poetry or uv (CLEARML_AGENT_FORCE_UV=1 forces uv).
                type: pip
                system_site_packages: false
                force_upgrade: false
                # Additional package indexes for pip install.
                extra_index_url: \(indexes)
            }
            venvs_dir: "~/.clearml/venvs-builds"
            vcs_cache {
                enabled: true
                path: "~/.clearml/vcs-cache"
            }
            translate_ssh: true
            default_docker {
                # Image for tasks that name none. Overridden by CLEARML_DOCKER_IMAGE.
                image: "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu20.04"
                arguments: []
            }
        }

        # The Kubernetes glue's own settings; K8S_GLUE_* variables override them. For example:
        # k8s_glue {
        #     queue: ["default"]
        #     max_pods: 4
        #     namespace: clearml
        # }

        """
    }
}

/// Just enough URL handling to swap a host prefix or a port (Foundation's URL drops case and adds slashes).
struct URLParts: Sendable {
    var scheme: String
    var host: String
    var port: Int?
    var rest: String

    init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = String(text[..<schemeEnd.lowerBound])
        let afterScheme = text[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        rest = String(afterScheme[authorityEnd...])
        // The last ':' separates a port unless it sits inside an IPv6 literal ("[::1]").
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
        } else {
            host = String(authority)
            port = nil
        }
        guard !host.isEmpty, !scheme.isEmpty else { return nil }
    }

    var text: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(rest)" }

    func with(host: some StringProtocol) -> URLParts {
        var copy = self
        copy.host = String(host)
        return copy
    }

    func with(port: Int) -> URLParts {
        var copy = self
        copy.port = port
        return copy
    }
}

