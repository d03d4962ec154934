import Foundation
import Logging

/// Renders one event as one line. Newlines inside messages or values are escaped so a line stays a line.
public enum LogLineFormatter {
    public static func format(
        _ format: LogFormat, date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        let timestamp = date.formatted(.iso8601.year().month().day().timeZone(separator: .omitted).time(includingFractionalSeconds: true))
        switch format {
        case .text:
            var line = "\(timestamp) \(level) \(label): \(escapeText(message))"
            for key in metadata.keys.sorted() {
                line += " \(key)=\(quoteIfNeeded(render(metadata[key] ?? "")))"
            }
            return line + "\n"
        case .json:
            var object: [String: Any] = ["ts": timestamp, "level": level.rawValue, "logger": label, "msg": message]
            for (key, value) in metadata where object[key] == nil {
                object[key] = jsonValue(value)
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return (String(data: data, encoding: .utf8) ?? "{}") + "\n"
        }
    }

    private static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .dictionary(let dict): return "{" + dict.keys.sorted().map { "\($0)=\(render(dict[$0] ?? ""))" }.joined(separator: ",") + "}"
        }
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return items.map(jsonValue)
        case .dictionary(let dict): return dict.mapValues(jsonValue)
        }
    }

    private static func escapeText(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    /// Values with spaces, quotes or `=` are quoted (backslashes first, so escapes stay unambiguous).
    private static func quoteIfNeeded(_ s: String) -> String {
        guard s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return escapeText(s) }
        let quoted = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escapeText(quoted) + "\""
    }
}
