import Foundation

/// Turns a process's raw output into console lines as a terminal would show them: a carriage return
/// restarts the line, so a progress bar redrawn a thousand times becomes its final state, not a thousand
/// lines. A line still being redrawn is shown at most once per `partialInterval`, so a long download
/// stays visible in the UI without flooding it.
public struct ConsoleLines: Sendable {
    public var partialInterval: Duration
    private var pending = Data()
    private var pendingSince: ContinuousClock.Instant?
    private var lastPartial: String?

    public init(partialInterval: Duration = .seconds(1)) { self.partialInterval = partialInterval }

    /// Complete lines in `chunk` (and a snapshot of a long-redrawn partial line when due).
    public mutating func push(_ chunk: Data, now: ContinuousClock.Instant) -> [String] {
        var lines: [String] = []
        for byte in chunk {
            if byte == 0x0A {
                let line = Self.visible(pending)
                if line != lastPartial || pendingSince == nil { lines.append(line) }
                pending.removeAll(keepingCapacity: true)
                pendingSince = nil
                lastPartial = nil
            } else {
                if pendingSince == nil { pendingSince = now }
                pending.append(byte)
            }
        }
        if let since = pendingSince, now - since >= partialInterval, pending.contains(0x0D) {
            let snapshot = Self.visible(pending)
            if !snapshot.isEmpty && snapshot != lastPartial {
                lines.append(snapshot)
                lastPartial = snapshot
            }
            pendingSince = now
        }
        return lines
    }

    /// Whatever is left when the stream ends.
    public mutating func finish() -> [String] {
        defer { pending.removeAll(); pendingSince = nil; lastPartial = nil }
        guard !pending.isEmpty else { return [] }
        let line = Self.visible(pending)
        return line == lastPartial ? [] : [line]
    }

    /// The text after the last carriage return that still has content (a bare trailing `\r` ends a
    /// redraw, it does not erase it), decoded leniently.
    static func visible(_ bytes: Data) -> String {
        var segments = bytes.split(separator: 0x0D, omittingEmptySubsequences: true)
        while let last = segments.last, last.allSatisfy({ $0 == 0x20 }), segments.count > 1 { segments.removeLast() }
        return String(decoding: segments.last ?? Data()[...], as: UTF8.self)
    }
}
