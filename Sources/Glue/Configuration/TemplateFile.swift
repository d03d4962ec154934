import Foundation
import JSONValue
import KubeAPI

/// Reads a pod template or overrides file (YAML or JSON) and says precisely what is wrong with it.
public enum TemplateFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// - Parameter role: what the file is for, for messages ("--template-yaml").
    public static func load(path: String, role: String) throws(Failure) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(role) \(path): cannot read the file; check the path and its permissions")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: "\(role) \(path)")
    }

    public static func parse(_ text: String, source: String) throws(Failure) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.decodeYAML(text)
        } catch {
            throw Failure(description: "\(source): not valid YAML or JSON (\(error)); fix the syntax")
        }
        guard value.objectValue != nil else {
            throw Failure(description: "\(source): expected a mapping (a Pod or Job manifest, or its fields), found \(kindName(value))")
        }
        return value
    }

    /// A full template must be a Pod or a Job (or leave `kind` out and be taken as the glue's kind).
    public static func checkTemplate(_ template: JSONValue, source: String, expectedKind: PodRenderSettings.Kind) throws(Failure) {
        if let kind = template["kind"]?.stringValue, kind != expectedKind.rawValue {
            throw Failure(description: "\(source): kind '\(kind)' is not a \(expectedKind.rawValue); the glue creates \(expectedKind.rawValue)s (set CLEARML_K8S_GLUE_KIND=job for Job templates)")
        }
        let podSpecPath = expectedKind == .job ? ["spec", "template", "spec"] : ["spec"]
        if let spec = template.value(at: podSpecPath), spec.objectValue == nil {
            throw Failure(description: "\(source): \(podSpecPath.joined(separator: ".")) must be a mapping")
        }
        if let containers = template.value(at: podSpecPath + ["containers"]), containers.arrayValue == nil {
            throw Failure(description: "\(source): \((podSpecPath + ["containers"]).joined(separator: ".")) must be a list of containers")
        }
    }

    static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .array: "a list"
        case .string: "a string"
        case .null: "nothing (empty file)"
        case .bool: "a boolean"
        default: "a number"
        }
    }
}
