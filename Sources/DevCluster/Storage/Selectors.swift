import JSONValue
import Foundation
import KubeAPI

/// `labelSelector` as the API server parses it: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
    }

    var requirements: [Requirement] = []

    init() {}

    init(parsing text: String?) throws(APIError) {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        for raw in Self.splitTopLevel(text) {
            let term = raw.trimmingCharacters(in: .whitespaces)
            if let range = term.range(of: " notin ") ?? term.range(of: " in ") {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let list = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw .badRequest("unable to parse requirement: found '\(list)', expected: '('")
                }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let notIn = term[range].contains("notin")
                requirements.append(notIn ? .notIn(key, values) : .isIn(key, values))
            } else if let range = term.range(of: "!=") {
                requirements.append(.notEquals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(.equals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if term.hasPrefix("!") {
                requirements.append(.notExists(String(term.dropFirst())))
            } else {
                guard !term.isEmpty, !term.contains(" ") else { throw .badRequest("unable to parse requirement: '\(term)'") }
                requirements.append(.exists(term))
            }
        }
    }

    /// Splits on commas outside parentheses.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    func matches(_ object: JSONValue) -> Bool {
        guard !requirements.isEmpty else { return true }
        let labels = object[path: "metadata", "labels"]?.objectValue ?? [:]
        return requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let k, let v): return labels[k]?.stringValue == v
            case .notEquals(let k, let v): return labels[k]?.stringValue != v
            case .exists(let k): return labels[k] != nil
            case .notExists(let k): return labels[k] == nil
            case .isIn(let k, let values): return labels[k]?.stringValue.map(values.contains) ?? false
            case .notIn(let k, let values): return !(labels[k]?.stringValue.map(values.contains) ?? false)
            }
        }
    }
}

/// `fieldSelector`: `path=value`, `path==value`, `path!=value`, comma-separated, on dotted JSON paths
/// (`metadata.name`, `metadata.namespace`, `status.phase`, `spec.nodeName`, `involvedObject.uid`...).
struct FieldSelector: Sendable, Equatable {
    struct Term: Sendable, Equatable {
        var path: [String]
        var value: String
        var negated: Bool
    }

    var terms: [Term] = []
    static let supported: Set<String> = [
        "metadata.name", "metadata.namespace", "status.phase", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "status.podIP", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type", "type",
    ]

    init() {}

    init(parsing text: String?) throws(APIError) {
        guard let text, !text.isEmpty else { return }
        for term in text.split(separator: ",") {
            let term = String(term)
            let negated = term.contains("!=")
            let separator = negated ? "!=" : (term.contains("==") ? "==" : "=")
            guard let range = term.range(of: separator) else {
                throw .badRequest("invalid field selector: '\(term)': expected an operator")
            }
            let field = String(term[..<range.lowerBound])
            guard Self.supported.contains(field) else {
                throw .badRequest("field label not supported: \(field)")
            }
            terms.append(Term(path: field.split(separator: ".").map(String.init), value: String(term[range.upperBound...]), negated: negated))
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        terms.allSatisfy { term in
            var value: JSONValue? = object
            for key in term.path { value = value?[key] }
            // An absent field compares as the empty string, as the apiserver's field sets do.
            let actual = value?.stringValue ?? ""
            return term.negated ? actual != term.value : actual == term.value
        }
    }
}
