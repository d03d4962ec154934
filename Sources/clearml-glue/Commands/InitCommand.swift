import ArgumentParser
import ClearMLConfig
import Foundation
import GlueCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `clearml-glue init`: the setup wizard of seeds 000/001. Asks for the credentials block the web UI copies,
/// the three server URLs (defaults derived from one another), git credentials and an extra package index, then
/// writes a clearml.conf with an `agent` section. Never overwrites a file. Every answer can be given as a flag;
/// with `--non-interactive` (or stdin not a terminal and every required value given) nothing is asked.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create clearml.conf with server URLs, credentials and an agent section (setup wizard).",
        discussion: """
        Interactive by default: paste the block from the web app (Settings > Workspace > Create new credentials > \
        Copy to clipboard), confirm the server URLs, and optionally give git credentials and an extra package \
        index. Answers given as flags are not asked. The file is written to --output, else --config-file, else \
        $CLEARML_CONFIG_FILE, else ~/clearml.conf, and never overwritten.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("api-server"), help: "API server URL, e.g. https://api.clear.ml or http://host:8008.")
    var apiServer: String?

    @Option(name: .customLong("web-server"), help: "Web app URL (default: derived from the API server).")
    var webServer: String?

    @Option(name: .customLong("files-server"), help: "File server URL (default: derived from the API server).")
    var filesServer: String?

    @Option(name: .customLong("access-key"), help: "API access key.")
    var accessKey: String?

    @Option(name: .customLong("secret-key"), help: "API secret key.")
    var secretKey: String?

    @Option(name: .customLong("git-user"), help: "Git user for cloning task repositories.")
    var gitUser: String?

    @Option(name: .customLong("git-pass"), help: "Git password or token.")
    var gitPass: String?

    @Option(name: .customLong("extra-index-url"), help: "Extra Python package index (repeatable).")
    var extraIndexURLs: [String] = []

    @Option(name: .customLong("output"), help: "File to write.")
    var output: String?

    @Flag(name: .customLong("non-interactive"), help: "Never prompt; fail if a required value is missing.")
    var nonInteractive = false

    func run() async throws {
        try global.bootstrapLogging()
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        let target = PathExpansion.expandingTilde(targetPath(environment), home: home)
        if FileManager.default.fileExists(atPath: target) {
            throw InitWizard.existingFileMessage(path: target)
        }

        let console = Console()
        let haveRequired = accessKey != nil && secretKey != nil && (apiServer != nil || webServer != nil)
        let answers: InitWizard.Answers
        if nonInteractive || (!console.isTerminal && haveRequired) {
            answers = try nonInteractiveAnswers()
        } else {
            answers = try interactiveAnswers(console)
        }

        try write(InitWizard.renderConfiguration(answers), to: target)
        console.say("New configuration stored in \(target)")
        console.say("clearml-glue setup completed successfully.")
    }

    private func targetPath(_ environment: [String: String]) -> String {
        if let output, !output.isEmpty { return output }
        if let file = global.configFile, !file.isEmpty { return file }
        if let file = environment[EnvironmentVariables.configFile], !file.trimmingCharacters(in: .whitespaces).isEmpty { return file }
        return "~/clearml.conf"
    }

    // MARK: - Non-interactive

    private func nonInteractiveAnswers() throws -> InitWizard.Answers {
        var missing: [String] = []
        if accessKey == nil { missing.append("--access-key") }
        if secretKey == nil { missing.append("--secret-key") }
        if apiServer == nil && webServer == nil { missing.append("--api-server") }
        guard missing.isEmpty, let accessKey, let secretKey else {
            throw ConfigError(.missingValue, origin: "init", message: "missing \(missing.joined(separator: ", ")) (not prompting: non-interactive)",
                              hint: "pass the missing flags, or run 'clearml-glue init' in a terminal to be asked")
        }
        let api = try apiServer.map { try InitWizard.validatedURL($0, for: "--api-server") }
            ?? InitWizard.apiServer(derivedFromWeb: try InitWizard.validatedURL(webServer ?? "", for: "--web-server"))
        let derived = InitWizard.servers(derivedFromAPI: api)
        return InitWizard.Answers(
            apiServer: api,
            webServer: try webServer.map { try InitWizard.validatedURL($0, for: "--web-server") } ?? derived.web,
            filesServer: try filesServer.map { try InitWizard.validatedURL($0, for: "--files-server") } ?? derived.files,
            accessKey: accessKey, secretKey: secretKey,
            gitUser: gitUser.flatMap { $0.isEmpty ? nil : $0 }, gitPass: gitPass,
            extraIndexURLs: extraIndexURLs.filter { !$0.isEmpty }
        )
    }

    // MARK: - Interactive

    private func interactiveAnswers(_ console: Console) throws -> InitWizard.Answers {
        console.say("clearml-glue setup")
        var pasted: InitWizard.Credentials?
        var keys: (access: String, secret: String)
        if let accessKey, let secretKey {
            keys = (accessKey, secretKey)
        } else {
            console.say("""
            Create new credentials in your ClearML web app (Settings > Workspace > "Create new credentials", or \
            https://app.clear.ml/settings/workspace-configuration for the hosted service), then press "Copy to clipboard".
            """)
            let credentials = try readPastedCredentials(console)
            pasted = credentials
            keys = (accessKey ?? credentials.accessKey, secretKey ?? credentials.secretKey)
            console.say("Detected credentials key=\"\(InitWizard.maskedKey(keys.access))\" secret=\"\(SecretMasking.mask)\"")
        }

        let pastedAPI = apiServer ?? pasted?.apiServer
        let webDefault = webServer ?? pasted?.webServer
            ?? pastedAPI.map { InitWizard.servers(derivedFromAPI: $0).web } ?? InitWizard.defaultWebServer
        let web = try askURL(console, "WEB Host", given: (webServer, "--web-server"), default: webDefault)
        let api = try askURL(console, "API Host", given: (apiServer, "--api-server"),
                             default: pasted?.apiServer ?? InitWizard.apiServer(derivedFromWeb: web))
        let files = try askURL(console, "File Store Host", given: (filesServer, "--files-server"),
                               default: pasted?.filesServer ?? InitWizard.servers(derivedFromAPI: api).files)
        console.say("\nCLEARML Hosts configuration:\nWeb App: \(web)\nAPI: \(api)\nFile Store: \(files)\n")

        var user = gitUser
        if user == nil {
            user = try console.ask("Enter git username for repository cloning (leave blank for SSH key authentication): [] ")
        }
        user = user.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        var password = gitPass
        if let user {
            if password == nil { password = try console.askSecret("Enter password for user '\(user)': ") }
            console.say("Git repository cloning will be using user=\(user) password=\(SecretMasking.mask)")
        }

        var indexes = extraIndexURLs.filter { !$0.isEmpty }
        if extraIndexURLs.isEmpty {
            let answer = try console.ask("Enter additional artifact repository (extra-index-url) to use when installing python packages (leave blank if not required): ")
            indexes = answer.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        }
        return InitWizard.Answers(apiServer: api, webServer: web, filesServer: files, accessKey: keys.access,
                                  secretKey: keys.secret, gitUser: user, gitPass: password, extraIndexURLs: indexes)
    }

    /// Lines until the braces balance; a block that does not parse is asked again, up to three times.
    private func readPastedCredentials(_ console: Console) throws -> InitWizard.Credentials {
        var lastError: ConfigError?
        for _ in 0..<3 {
            console.prompt("Paste copied configuration here:\n")
            var text = ""
            repeat {
                guard let line = console.readLine() else {
                    throw ConfigError(.missingValue, origin: "init", message: "input ended before the credentials were pasted",
                                      hint: "run it in a terminal, or pass --access-key, --secret-key and --api-server")
                }
                if text.isEmpty && line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                text += line + "\n"
            } while !InitWizard.pasteIsComplete(text)
            do {
                return try InitWizard.parseCredentials(text)
            } catch {
                console.say("Could not read the pasted text: \(error)")
                lastError = error
            }
        }
        throw lastError ?? ConfigError(.missingValue, origin: "init", message: "no credentials pasted")
    }

    private func askURL(_ console: Console, _ label: String, given: (value: String?, flag: String),
                        default fallback: String) throws -> String {
        if let value = given.value { return try InitWizard.validatedURL(value, for: given.flag) }
        var lastError: ConfigError?
        for _ in 0..<3 {
            let answer = try console.ask("\(label) configured to: [\(fallback)] ")
            do {
                return try InitWizard.validatedURL(answer.isEmpty ? fallback : answer, for: label)
            } catch {
                console.say("\(error)")
                lastError = error
            }
        }
        throw lastError ?? ConfigError(.missingValue, origin: label, message: "no URL given")
    }

    // MARK: - Output

    /// Created exclusively (never replacing a file that appeared meanwhile) and readable by the owner only:
    /// it holds the secret key.
    private func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST { throw InitWizard.existingFileMessage(path: path) }
            throw ConfigError(.unreadableFile, origin: path, message: "cannot create the configuration file (\(reason))",
                              hint: "check that the folder exists and is writable, or choose another file with --output")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        } catch {
            throw ConfigError(.unreadableFile, origin: path, message: "cannot write the configuration file (\(error.localizedDescription))",
                              hint: "check free space and permissions")
        }
    }
}

/// The wizard's terminal: unbuffered prompts (so they appear before input is read, also on a pipe),
/// line input, and echo turned off for passwords when stdin is a terminal.
private struct Console {
    var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    func say(_ text: String) {
        prompt(text + "\n")
    }

    func prompt(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func readLine() -> String? {
        Swift.readLine(strippingNewline: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
    }

    func ask(_ question: String) throws -> String {
        prompt(question)
        guard let line = readLine() else {
            throw ConfigError(.missingValue, origin: "init", message: "input ended at the question '\(question.trimmingCharacters(in: .whitespaces))'",
                              hint: "answer every question, or pass the values as flags with --non-interactive")
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    func askSecret(_ question: String) throws -> String {
        guard isTerminal else { return try ask(question) }
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            prompt("\n")
        }
        prompt(question)
        guard let line = readLine() else {
            throw ConfigError(.missingValue, origin: "init", message: "input ended at the password question",
                              hint: "pass --git-pass, or leave the git user blank")
        }
        return line
    }
}
