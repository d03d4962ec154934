import JSONValue
import Foundation
import Yams

extension JSONValue {
    /// Parses YAML (or JSON, which is YAML): manifests, kubeconfigs, `application/apply-patch+yaml` bodies.
    /// Scalars keep YAML's typing: `"8"` quoted stays a string, `8` becomes a number.
    public static func decodeYAML(_ text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return try JSONValue(yamlNode: node)
    }

    init(yamlNode node: Node) throws {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain {
                self = .string(scalar.string)
            } else if scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty && scalar.tag.description.hasSuffix("null") {
                self = .null
            } else if let bool = Bool.construct(from: scalar), ["true", "false", "True", "False", "TRUE", "FALSE"].contains(scalar.string) {
                self = .bool(bool)
            } else if let int = Int64(scalar.string) {
                self = .int(int)
            } else if let double = Double(scalar.string), scalar.string.contains(".") || scalar.string.lowercased().contains("e") {
                self = .double(double)
            } else {
                self = .string(scalar.string)
            }
        case .mapping(let mapping):
            var fields: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw KubeConfigError("YAML mapping key is not a string") }
                fields[name] = try JSONValue(yamlNode: value)
            }
            self = .object(fields)
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue(yamlNode: $0) })
        case .alias:
            throw KubeConfigError("YAML aliases are not supported")
        }
    }
}
