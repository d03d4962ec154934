import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a container's command as a process-group leader, so the whole tree it spawns can be signalled
/// at once (`kill(-pgid)`): a pod delete or a cluster stop must never leave orphans behind.
struct LaunchedProcess: Sendable {
    let pid: pid_t

    /// Signals the whole process group; ESRCH (already gone) is fine.
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// Waits on a dedicated thread: `waitpid` blocks, and blocking the cooperative pool would stall the server.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let pid = self.pid
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: Self.exitCode(status))
            }
        }
    }

    /// Shell convention, as the kubelet reports it: exit status, or 128 + signal number.
    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

enum ProcessLauncher {
    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// `argv[0]` is looked up in the given environment's PATH; stdout and stderr both go to `logPath`.
    /// With `security`, the process runs as that user through `setpriv` when the cluster runs as root
    /// (a kubelet's runtime switches user the same way before exec); otherwise as the cluster's user.
    static func launch(
        arguments: [String], environment: [String: String], workingDirectory: String, logPath: String, security: ContainerSecurity? = nil
    ) throws -> LaunchedProcess {
        guard let executable = arguments.first else { throw LaunchError(description: "empty command") }
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw LaunchError(description: "cannot open log file \(logPath): \(String(cString: strerror(errno)))") }
        defer { close(logFD) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // New process group; default signal dispositions and an empty mask, whatever the server thread had.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        guard let addChdir = addChdir else {
            throw LaunchError(description: "this C library lacks posix_spawn_file_actions_addchdir_np (glibc >= 2.29 needed)")
        }
        _ = addChdir(&actions, workingDirectory)

        let resolved = resolve(executable, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        guard let resolved else {
            throw LaunchError(description: "exec: \"\(executable)\": executable file not found in $PATH")
        }
        var program = resolved
        var argumentList = arguments
        if let security, let switcher = Credentials.switcher {
            guard Credentials.mayExecute(resolved, security: security) else {
                throw LaunchError(description: "exec: \"\(executable)\": permission denied")
            }
            // setpriv resolves argv[0] with the same PATH, so the program sees the argv it asked for.
            program = switcher
            argumentList = [switcher] + security.setprivOptions + ["--"] + arguments
        }
        let argv = argumentList.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LaunchError(description: "cannot start \"\(executable)\": \(String(cString: strerror(result)))")
        }
        return LaunchedProcess(pid: pid)
    }

    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc exports it but its header hides it from Swift's module map; looked up once at run time.
    static let addChdir: AddChdir? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    static func resolve(_ executable: String, path: String) -> String? {
        if executable.contains("/") { return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Switching a container's process to its user, group and groups, as a root kubelet's runtime does.
enum Credentials {
    /// `setpriv` (util-linux), when the cluster runs as root and has one; nil means processes keep the
    /// cluster's own identity.
    static let switcher: String? = {
        guard geteuid() == 0 else { return nil }
        return ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether the container's user may run the file: search permission on every folder on the way and
    /// execute permission on the file, by owner, group or others as the kernel decides (root needs one x bit).
    static func mayExecute(_ path: String, security: ContainerSecurity) -> Bool {
        let groups = Set([security.gid] + security.supplementalGroups)
        func allows(_ path: String, _ bit: mode_t) -> Bool {
            var info = stat()
            guard stat(path, &info) == 0 else { return false }
            if security.uid == 0 { return (info.st_mode & S_IFMT) == S_IFDIR || info.st_mode & 0o111 != 0 }
            if Int64(info.st_uid) == security.uid { return info.st_mode & (bit << 6) != 0 }
            if groups.contains(Int64(info.st_gid)) { return info.st_mode & (bit << 3) != 0 }
            return info.st_mode & bit != 0
        }
        var folder = (path as NSString).deletingLastPathComponent
        var folders: [String] = []
        while !folder.isEmpty, folder != "/" {
            folders.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folders.allSatisfy { allows($0, 0o1) } && allows(path, 0o1)
    }
}
