import Foundation

/// Splits a byte stream into lines at `\n`, dropping a trailing `\r`; keeps the unfinished tail between chunks.
public struct LineSplitter: Sendable {
    private var pending = Data()

    public init() {}

    public mutating func push(_ chunk: Data) -> [Data] {
        pending.append(chunk)
        var lines: [Data] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            lines.append(Self.trimCR(pending[start..<newline]))
            start = pending.index(after: newline)
        }
        pending = Data(pending[start...])
        return lines
    }

    /// The last line when the stream did not end with a newline.
    public mutating func finish() -> Data? {
        defer { pending = Data() }
        return pending.isEmpty ? nil : Self.trimCR(pending[...])
    }

    private static func trimCR(_ line: Data.SubSequence) -> Data {
        if line.last == 0x0D { return Data(line.dropLast()) }
        return Data(line)
    }
}
