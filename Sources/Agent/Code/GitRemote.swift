import Foundation

/// The URL the agent clones from: ssh and https forms translated as configured, and git credentials
/// added only for the host they belong to, so a task cannot send them to a repository of its choosing.
public struct GitRemote: Sendable, Equatable {
    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: String
        /// `CLEARML_AGENT_GIT_HOST`: when set, only this host gets the credentials.
        public var host: String?
        public init(user: String, password: String, host: String? = nil) {
            self.user = user
            self.password = password
            self.host = host
        }
    }

    /// What to clone from (may carry credentials: never log it; log `display`).
    public var cloneURL: String
    /// The same URL without credentials.
    public var display: String

    /// - Parameters:
    ///   - translateSSH: with credentials, clone an ssh URL over https (`agent.translate_ssh`).
    ///   - forceSSH: clone https URLs over ssh (`agent.force_git_ssh_protocol`); credentials unused.
    public init(repository: String, credentials: Credentials?, translateSSH: Bool = true, forceSSH: Bool = false) {
        var url = repository.trimmingCharacters(in: .whitespaces)
        if forceSSH, let ssh = Self.sshForm(of: url) {
            self.cloneURL = ssh
            self.display = ssh
            return
        }
        if let credentials, translateSSH, let https = Self.httpsForm(of: url) { url = https }
        display = url
        guard let credentials, !credentials.user.isEmpty, var components = URLComponents(string: url),
              components.scheme == "https" || components.scheme == "http", let host = components.host,
              components.user == nil
        else {
            cloneURL = url
            return
        }
        if let only = credentials.host, !only.isEmpty, only.lowercased() != host.lowercased() {
            cloneURL = url
            return
        }
        components.percentEncodedUser = Self.encode(credentials.user)
        components.percentEncodedPassword = Self.encode(credentials.password)
        cloneURL = components.string ?? url
    }

    /// `git@host:org/repo.git` or `ssh://git@host[:port]/org/repo.git` -> `https://host/org/repo.git`.
    static func httpsForm(of url: String) -> String? {
        if url.hasPrefix("ssh://"), let components = URLComponents(string: url), let host = components.host {
            return "https://\(host)\(components.path)"
        }
        let scp = #"^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!//)(.+)$"#
        guard let regex = try? NSRegularExpression(pattern: scp),
              let match = regex.firstMatch(in: url, range: NSRange(url.startIndex..., in: url)),
              let host = Range(match.range(at: 1), in: url), let path = Range(match.range(at: 2), in: url) else { return nil }
        return "https://\(url[host])/\(url[path])"
    }

    /// `https://host/org/repo.git` -> `git@host:org/repo.git`.
    static func sshForm(of url: String) -> String? {
        guard let components = URLComponents(string: url), components.scheme == "https" || components.scheme == "http",
              let host = components.host else { return nil }
        return "git@\(host):" + components.path.drop(while: { $0 == "/" })
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
