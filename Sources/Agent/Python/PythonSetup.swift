import Foundation

/// Prepares the interpreter for a task: finds Python, creates the virtual environment (or reuses a cached
/// or prepared one), installs the requirements with pip (or uv), and freezes the result.
public struct PythonSetup: Sendable {
    public enum Mode: Sendable, Equatable {
        /// A fresh venv in `folder` (removed first).
        case fresh(folder: String)
        /// A venv cached by key under `folder` (`CLEARML_AGENT_VENV_CACHE_PATH`).
        case cached(folder: String)
        /// A venv at exactly `folder`, reused when prepared for the same key (`build --target`).
        case target(folder: String)
        /// Install into the interpreter itself (`build --install-globally`).
        case global
        /// Use the interpreter as it is, no venv and no installation
        /// (`CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL`, `CLEARML_AGENT_SKIP_PIP_VENV_INSTALL`).
        case existing
    }

    public struct Options: Sendable {
        public var candidates: [String]
        public var mode: Mode
        public var systemSitePackages: Bool
        public var extraIndexURLs: [String]
        public var extraPipFlags: [String]
        public var useUV: Bool
        public init(candidates: [String], mode: Mode, systemSitePackages: Bool = false, extraIndexURLs: [String] = [],
                    extraPipFlags: [String] = [], useUV: Bool = false) {
            self.candidates = candidates
            self.mode = mode
            self.systemSitePackages = systemSitePackages
            self.extraIndexURLs = extraIndexURLs
            self.extraPipFlags = extraPipFlags
            self.useUV = useUV
        }
    }

    public let runner: StepRunner
    public let options: Options

    public init(runner: StepRunner, options: Options) {
        self.runner = runner
        self.options = options
    }

    public func prepare(requirements: String?) async throws -> PythonEnvironment {
        let console = runner.console
        let base = try await findInterpreter()
        if options.mode == .existing {
            await console.write(ConsoleHeader.marked("Using the Python environment as it is: \(base.path) (Python \(base.version)); no packages installed"))
            return PythonEnvironment(python: base.path, venv: nil, freeze: nil, reused: true)
        }
        let uv = options.useUV ? ChildProcess.resolve("uv", path: runner.environment["PATH"]) : nil
        let useUV = uv.map { $0.contains("/") } ?? false
        if options.useUV && !useUV { await console.write(ConsoleHeader.marked("uv was asked for (CLEARML_AGENT_FORCE_UV / package_manager.type) but is not on PATH; using pip")) }
        let key = VenvCacheKey.make(pythonVersion: "\(base.path) \(base.version)\(useUV ? " uv" : "")", requirements: requirements ?? "",
                                    extraIndexURLs: options.extraIndexURLs, systemSitePackages: options.systemSitePackages)
        if options.mode == .global {
            try await install(requirements, python: base.path, uv: useUV ? uv : nil, scratch: NSTemporaryDirectory())
            return PythonEnvironment(python: base.path, venv: nil, freeze: try await freeze(base.path, uv: useUV ? uv : nil), reused: false)
        }
        let venv: String
        var lock: FileLock?
        defer { lock?.release() }
        switch options.mode {
        case .cached(let folder):
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            venv = (folder as NSString).appendingPathComponent(key)
            lock = try await FileLock.acquire(venv + ".lock")
        case .fresh(let folder), .target(let folder):
            venv = folder
        case .global, .existing:
            preconditionFailure("handled above")
        }
        let python = (venv as NSString).appendingPathComponent("bin/python")
        let reusable: Bool
        if case .fresh = options.mode { reusable = false } else { reusable = true }
        if reusable, let marker = PythonEnvironment.Marker.read(venv: venv), marker.key == key,
           FileManager.default.isExecutableFile(atPath: python) {
            await console.write(ConsoleHeader.marked("Reusing the prepared Python environment \(venv) (key \(key)): skipping package installation"))
            return PythonEnvironment(python: python, venv: venv, freeze: marker.freeze, reused: true)
        }
        try? FileManager.default.removeItem(atPath: venv)
        try FileManager.default.createDirectory(atPath: (venv as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        await console.write(ConsoleHeader.marked("Creating the virtual environment \(venv) (Python \(base.version))"))
        if let uv, useUV {
            try await runner.require("uv venv", [uv, "venv", "--python", base.path] + (options.systemSitePackages ? ["--system-site-packages"] : []) + [venv])
        } else {
            try await runner.require("python -m venv", [base.path, "-m", "venv"] + (options.systemSitePackages ? ["--system-site-packages"] : []) + [venv])
        }
        try await install(requirements, python: python, uv: useUV ? uv : nil, scratch: venv)
        let frozen = try await freeze(python, uv: useUV ? uv : nil)
        try PythonEnvironment.Marker(key: key, python: python, freeze: frozen).write(venv: venv)
        return PythonEnvironment(python: python, venv: venv, freeze: frozen, reused: false)
    }

    private func install(_ requirements: String?, python: String, uv: String?, scratch: String) async throws {
        guard let requirements else {
            await runner.console.write(ConsoleHeader.marked("No requirements to install"))
            return
        }
        let file = (scratch as NSString).appendingPathComponent("clearml-requirements-\(getpid()).txt")
        try Data(requirements.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let indexes = options.extraIndexURLs.flatMap { ["--extra-index-url", $0] }
        await runner.console.write(ConsoleHeader.marked("Installing the task's requirements"))
        if let uv {
            try await runner.require("uv pip install", [uv, "pip", "install", "--python", python] + indexes + options.extraPipFlags + ["-r", file])
        } else {
            try await runner.require("pip install", [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
                + indexes + options.extraPipFlags + ["-r", file])
        }
    }

    private func freeze(_ python: String, uv: String?) async throws -> String? {
        let arguments = uv.map { [$0, "pip", "freeze", "--python", python] } ?? [python, "-m", "pip", "freeze", "--disable-pip-version-check"]
        let result = try await runner.capture(arguments)
        return result.code == 0 ? result.output : nil
    }

    /// The first candidate on PATH that runs, with its version.
    func findInterpreter() async throws -> (path: String, version: String) {
        for name in options.candidates {
            let path = ChildProcess.resolve(name, path: runner.environment["PATH"])
            guard FileManager.default.isExecutableFile(atPath: path) else { continue }
            let probe = try await runner.capture([path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
            if probe.code == 0 { return (path, probe.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        throw AgentError.setupFailed("no Python interpreter found (tried \(options.candidates.joined(separator: ", ")) on PATH): install Python in the image or set agent.python_binary")
    }
}
