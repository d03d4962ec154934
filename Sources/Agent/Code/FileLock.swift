#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive `flock` on a file, so agents sharing a cache folder (a host mount) never build the same
/// entry at once. Waiting happens on its own thread, not on the concurrency pool.
public final class FileLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    public static func acquire(_ path: String) async throws -> FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AgentError.setupFailed("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
                continuation.resume()
            }.start()
        }
        return FileLock(fd: fd)
    }

    public func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
