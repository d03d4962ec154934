import Foundation
import JSONValue

/// Turns the HTTP path, query string and body into an endpoint name, version and JSON, the way upstream's
/// `service_repo.parse_endpoint_path` and `request_handlers._update_call_data` do.
enum RequestDecoding {
    struct Path: Equatable {
        var name: String
        var version: APIVersion?
    }

    /// `/[api/][vMAJOR.MINOR/]service.action[/]`
    static func parsePath(_ raw: String) -> Path? {
        var path = Substring(raw)
        if path.hasPrefix("/api/") { path = path.dropFirst(4) }
        while path.hasPrefix("/") { path = path.dropFirst() }
        if path.hasSuffix("/") { path = path.dropLast() }
        var components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(components.count) else { return nil }
        var version: APIVersion?
        if components.count == 2 {
            let tag = components.removeFirst()
            guard tag.hasPrefix("v"), let parsed = APIVersion(tag.dropFirst()) else { return nil }
            version = parsed
        }
        let name = components[0]
        let pieces = name.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces.allSatisfy(isIdentifier) else { return nil }
        return Path(name: String(name), version: version)
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_", text.count >= 2 else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// Query parameters merged into an object: `a.b=1` nests, `k[]=v` builds lists, booleans and numbers convert.
    static func parseQuery(_ query: String?) -> [String: JSONValue] {
        guard let query, !query.isEmpty else { return [:] }
        var result: JSONValue = .object([:])
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard var key = decodeComponent(parts[0]), !key.isEmpty else { continue }
            let value = convert(parts.count > 1 ? decodeComponent(parts[1]) ?? "" : "")
            let isList = key.hasSuffix("[]")
            if isList { key.removeLast(2) }
            let path = key.split(separator: ".").map(String.init)
            guard !path.isEmpty else { continue }
            if isList {
                var list = result.value(at: path)?.arrayValue ?? []
                list.append(value)
                result.set(.array(list), at: path)
            } else if let existing = result.value(at: path) {
                // A repeated key becomes a list, like werkzeug's MultiDict.
                let list = (existing.arrayValue ?? [existing]) + [value]
                result.set(.array(list), at: path)
            } else {
                result.set(value, at: path)
            }
        }
        return result.objectValue ?? [:]
    }

    private static func decodeComponent(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static func convert(_ raw: String) -> JSONValue {
        switch raw.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        if let number = Int64(raw) { return .int(number) }
        if let number = Double(raw), raw.contains(".") { return .double(number) }
        return .string(raw)
    }

    enum Body {
        case object(JSONValue)
        case batch([JSONValue])
    }

    /// Parses the body per its content type. An empty body is an empty object.
    static func parseBody(_ bytes: [UInt8], contentType: String?) throws(APIError) -> Body {
        let isLines = contentType?.lowercased().contains("json-lines") == true
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return isLines ? .batch([]) : .object(.object([:]))
        }
        if isLines {
            var items: [JSONValue] = []
            for line in bytes.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                do {
                    items.append(try JSONValue.decode(Array(line)))
                } catch {
                    throw APIError.invalidJSON("\(error)")
                }
            }
            return .batch(items)
        }
        do {
            return .object(try JSONValue.decode(bytes))
        } catch {
            throw APIError.invalidJSON("\(error)")
        }
    }
}
