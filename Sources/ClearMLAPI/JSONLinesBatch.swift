import Foundation
import JSONValue

/// Splits json-lines payloads (`events.add_batch`) into bodies no larger than `maxBytes`, on line
/// boundaries, as the server limits request size. A single line over the limit travels alone.
public enum JSONLinesBatch {
    public static let defaultMaxBytes = 1 << 20

    public static func bodies(for items: [JSONValue], maxBytes: Int = defaultMaxBytes) -> [Data] {
        var bodies: [Data] = []
        var current = Data()
        for item in items {
            let line = item.encoded()
            if !current.isEmpty && current.count + 1 + line.count > maxBytes {
                bodies.append(current)
                current = Data()
            }
            if !current.isEmpty { current.append(0x0A) }
            current.append(line)
        }
        if !current.isEmpty { bodies.append(current) }
        return bodies
    }
}
