import JSONValue
import Foundation
import KubeAPI

/// The patch formats the API server accepts, applied to stored JSON.
enum Patching {
    /// RFC 6902 JSON patch.
    static func jsonPatch(_ document: JSONValue, operations: [JSONValue]) throws(APIError) -> JSONValue {
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw .badRequest("the server rejected our request due to an error in our request: json patch operation needs 'op' and 'path'")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add": result = try set(result, pointer, operation["value"] ?? .null, insert: true)
            case "replace":
                guard get(result, pointer) != nil else { throw .invalid(kind: "Patch", name: "", causes: [(path, "FieldValueNotFound", "replace operation does not apply: doc is missing path: \(path)")]) }
                result = try set(result, pointer, operation["value"] ?? .null, insert: false)
            case "remove":
                guard get(result, pointer) != nil else { throw .invalid(kind: "Patch", name: "", causes: [(path, "FieldValueNotFound", "remove operation does not apply: doc is missing path: \(path)")]) }
                result = try remove(result, pointer)
            case "test":
                guard get(result, pointer) == (operation["value"] ?? .null) else {
                    throw .invalid(kind: "Patch", name: "", causes: [(path, "FieldValueInvalid", "testing value \(path) failed")])
                }
            case "move", "copy":
                guard let from = operation["from"]?.stringValue, let value = get(result, try parsePointer(from)) else {
                    throw .badRequest("\(op) operation needs an existing 'from'")
                }
                if op == "move" { result = try remove(result, try parsePointer(from)) }
                result = try set(result, pointer, value, insert: true)
            default: throw .badRequest("unexpected json patch operation '\(op)'")
            }
        }
        return result
    }

    static func parsePointer(_ path: String) throws(APIError) -> [String] {
        guard path.isEmpty || path.hasPrefix("/") else { throw .badRequest("invalid JSON pointer '\(path)'") }
        return path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ value: JSONValue, _ pointer: [String]) -> JSONValue? {
        var current: JSONValue? = value
        for token in pointer {
            if case .array(let items)? = current { current = Int(token).flatMap { items.indices.contains($0) ? items[$0] : nil } }
            else { current = current?[token] }
        }
        return current
    }

    static func set(_ value: JSONValue, _ pointer: [String], _ newValue: JSONValue, insert: Bool) throws(APIError) -> JSONValue {
        guard let token = pointer.first else { return newValue }
        let rest = Array(pointer.dropFirst())
        switch value {
        case .array(var items):
            if rest.isEmpty, insert {
                if token == "-" { items.append(newValue); return .array(items) }
                guard let index = Int(token), index >= 0, index <= items.count else { throw .badRequest("array index \(token) out of range") }
                items.insert(newValue, at: index)
                return .array(items)
            }
            guard let index = Int(token), items.indices.contains(index) else { throw .badRequest("array index \(token) out of range") }
            items[index] = try set(items[index], rest, newValue, insert: insert)
            return .array(items)
        case .object(var fields):
            if rest.isEmpty { fields[token] = newValue; return .object(fields) }
            guard let child = fields[token] else { throw .badRequest("doc is missing path: /\(pointer.joined(separator: "/"))") }
            fields[token] = try set(child, rest, newValue, insert: insert)
            return .object(fields)
        default:
            throw .badRequest("cannot address '\(token)' inside a scalar")
        }
    }

    static func remove(_ value: JSONValue, _ pointer: [String]) throws(APIError) -> JSONValue {
        guard let token = pointer.first else { return .null }
        let rest = Array(pointer.dropFirst())
        switch value {
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { throw .badRequest("array index \(token) out of range") }
            if rest.isEmpty { items.remove(at: index) } else { items[index] = try remove(items[index], rest) }
            return .array(items)
        case .object(var fields):
            if rest.isEmpty { fields.removeValue(forKey: token) }
            else if let child = fields[token] { fields[token] = try remove(child, rest) }
            return .object(fields)
        default:
            throw .badRequest("cannot remove '\(token)' from a scalar")
        }
    }

    /// Strategic merge patch: see `StrategicMerge`.
    static func strategicMerge(_ document: JSONValue, patch: JSONValue) -> JSONValue {
        StrategicMerge.apply(document, patch: patch)
    }
}
