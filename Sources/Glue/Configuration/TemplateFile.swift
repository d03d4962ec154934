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
            throw Failure(description: "\(source): not valid YAML or JSON (\(shortened("\(error)"))); fix the syntax")
        }
        guard value.objectValue != nil else {
            throw Failure(description: "\(source): expected a mapping (a Pod or Job manifest, or its fields), found \(kindName(value))")
        }
        return value
    }

    /// A full template must be a Pod or a Job (or leave `kind` out and be taken as the glue's kind).
    public static func checkTemplate(_ template: JSONValue, source: String, expectedKind: PodRenderSettings.Kind) throws(Failure) {
        if let kind = template["kind"]?.stringValue, kind != expectedKind.rawValue {
            throw Failure(description: "\(source): kind '\(shortened(kind))' is not a \(expectedKind.rawValue); the glue creates \(expectedKind.rawValue)s (set CLEARML_K8S_GLUE_KIND=job for Job templates)")
        }
        let podSpecPath = expectedKind == .job ? ["spec", "template", "spec"] : ["spec"]
        if let spec = template.value(at: podSpecPath), spec.objectValue == nil {
            throw Failure(description: "\(source): \(podSpecPath.joined(separator: ".")) must be a mapping")
        }
        if let containers = template.value(at: podSpecPath + ["containers"]), containers.arrayValue == nil {
            throw Failure(description: "\(source): \((podSpecPath + ["containers"]).joined(separator: ".")) must be a list of containers")
        }
        // Shapes the renderer would otherwise overwrite or drop without a word (a list where a mapping goes).
        let podMetadataPath = expectedKind == .job ? ["spec", "template", "metadata"] : ["metadata"]
        for path in Set([["metadata"], podMetadataPath]).sorted(by: { $0.count < $1.count }) {
            guard let metadata = template.value(at: path) else { continue }
            guard metadata.objectValue != nil else { throw Failure(description: "\(source): \(path.joined(separator: ".")) must be a mapping") }
            for key in ["labels", "annotations"] {
                guard let map = metadata[key] else { continue }
                guard let entries = map.objectValue, entries.values.allSatisfy({ $0.stringValue != nil }) else {
                    throw Failure(description: "\(source): \((path + [key]).joined(separator: ".")) must be a mapping of names to text values")
                }
            }
        }
        for key in ["volumes", "initContainers", "tolerations", "imagePullSecrets"] {
            if let value = template.value(at: podSpecPath + [key]), value.arrayValue == nil {
                throw Failure(description: "\(source): \((podSpecPath + [key]).joined(separator: ".")) must be a list")
            }
        }
        for key in ["containers", "initContainers"] {
            for (index, container) in (template.value(at: podSpecPath + [key])?.arrayValue ?? []).enumerated() {
                let at = "\((podSpecPath + [key]).joined(separator: "."))[\(index)]"
                guard container.objectValue != nil else {
                    throw Failure(description: "\(source): \(at) must be a mapping (a container: name, image, ...), found \(container == .null ? "null" : kindName(container))")
                }
                for list in ["env", "envFrom", "volumeMounts", "ports", "command", "args"] {
                    if let value = container[list], value.arrayValue == nil {
                        throw Failure(description: "\(source): \(at).\(list) must be a list")
                    }
                }
            }
        }
    }

    /// The YAML parser quotes the offending line whole; a line of a machine-written file can be megabytes.
    static func shortened(_ text: String, lineLimit: Int = 200) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.count > lineLimit ? String($0.prefix(lineLimit)) + "…" : String($0) }
            .joined(separator: "\n")
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
