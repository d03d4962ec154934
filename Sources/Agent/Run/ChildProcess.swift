#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A child process in its own process group, with stdout and stderr merged into one pipe (so their
/// interleaving is kept, as a terminal shows it) and stdin from /dev/null. Signals go to the whole
/// group, so a script's own children are stopped with it.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// Raw output chunks; finishes when every writer has closed the pipe.
    public let output: AsyncStream<Data>
    private let exit: Task<Int32, Never>

    /// How the process ended, as Python's subprocess reports it: the exit code, or -N for signal N.
    public var exitCode: Int32 { get async { await exit.value } }

    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let executable: String
        public let code: Int32
        public var description: String {
            "cannot start '\(executable)': \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// - Parameters:
    ///   - arguments: argv, `arguments[0]` resolved through `PATH` of `environment` when it has no slash.
    ///   - directory: the working directory (must exist).
    public init(arguments: [String], environment: [String: String], directory: String?) throws {
        precondition(!arguments.isEmpty, "ChildProcess needs at least the executable")
        let executable = Self.resolve(arguments[0], path: environment["PATH"])
        let (readEnd, writeEnd) = try Self.closeOnExecPipe(executable)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        var argumentsToRun = arguments
        if let directory {
            if let addchdir = LibC.addchdir {
                _ = addchdir(&actions, directory)
            } else {
                // glibc before 2.29: let the shell change directory, then exec the command itself.
                argumentsToRun = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments.dropFirst()
            }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = argumentsToRun.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, argumentsToRun == arguments ? executable : "/bin/sh", &actions, &attributes, argv, envp)
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw SpawnError(executable: executable, code: result)
        }
        pid = child
        output = Self.reader(fd: readEnd)
        exit = Self.waiter(pid: child)
    }

    /// Sends `signal` to the whole process group; a group already gone is fine.
    public func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// A pipe whose ends no other child inherits (pipe2 with O_CLOEXEC; with a lock around pipe+fcntl when
    /// pipe2 is not available).
    private static func closeOnExecPipe(_ executable: String) throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 = LibC.pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw SpawnError(executable: executable, code: errno) }
        } else {
            guard pipe(&fds) == 0 else { throw SpawnError(executable: executable, code: errno) }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    private static func reader(fd: Int32) -> AsyncStream<Data> {
        let (stream, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .unbounded)
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    continuation.yield(Data(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
            continuation.finish()
        }
        thread.start()
        return stream
    }

    private static func waiter(pid: pid_t) -> Task<Int32, Never> {
        Task {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let thread = Thread {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    let signal = status & 0x7f
                    continuation.resume(returning: signal == 0 ? (status >> 8) & 0xff : -signal)
                }
                thread.start()
            }
        }
    }

    static func resolve(_ name: String, path: String?) -> String {
        guard !name.contains("/") else { return name }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }
}

/// glibc functions Swift's Glibc module does not expose (they need _GNU_SOURCE), looked up at run time.
enum LibC {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addchdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let pipe2: Pipe2? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
    }
}
