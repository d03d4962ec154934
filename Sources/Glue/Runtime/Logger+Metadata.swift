import Logging

/// A copy of the logger with more metadata (task id, queue, pod), for the lines about one task.
extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var copy = self
        for (key, value) in metadata { copy[metadataKey: key] = value }
        return copy
    }
}
