import JSONValue
import Foundation
import KubeAPI

/// kubectl sends typed-client writes (`create namespace|configmap|secret`) as Kubernetes protobuf and
/// does not fall back to JSON. This decodes that envelope for the few kinds it creates that way, field
/// numbers from k8s.io/api's generated.proto; anything else stays a 415.
enum ProtobufBody {
    struct Reader {
        var bytes: [UInt8]
        var index = 0

        mutating func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }

        /// Yields (field number, wire type, payload bytes or varint value) for each field of a message.
        mutating func fields() -> [(Int, Int, [UInt8], UInt64)]? {
            var out: [(Int, Int, [UInt8], UInt64)] = []
            while index < bytes.count {
                guard let key = varint() else { return nil }
                let field = Int(key >> 3), wire = Int(key & 7)
                switch wire {
                case 0:
                    guard let value = varint() else { return nil }
                    out.append((field, wire, [], value))
                case 2:
                    guard let length = varint(), index + Int(length) <= bytes.count else { return nil }
                    out.append((field, wire, Array(bytes[index..<index + Int(length)]), 0))
                    index += Int(length)
                case 1: index += 8
                case 5: index += 4
                default: return nil
                }
            }
            return out
        }
    }

    static func fields(_ bytes: [UInt8]) -> [(Int, Int, [UInt8], UInt64)]? {
        var reader = Reader(bytes: bytes)
        return reader.fields()
    }

    static func string(_ bytes: [UInt8]) -> JSONValue { .string(String(decoding: bytes, as: UTF8.self)) }

    /// map<string, string|bytes> entries: key = 1, value = 2.
    static func mapEntry(_ bytes: [UInt8], base64: Bool) -> (String, JSONValue)? {
        guard let entry = fields(bytes) else { return nil }
        let key = entry.first { $0.0 == 1 }.map { String(decoding: $0.2, as: UTF8.self) } ?? ""
        let value = entry.first { $0.0 == 2 }?.2 ?? []
        return (key, base64 ? .string(Data(value).base64EncodedString()) : string(value))
    }

    static func objectMeta(_ bytes: [UInt8]) -> JSONValue {
        var meta: JSONValue = [:]
        var labels: [String: JSONValue] = [:], annotations: [String: JSONValue] = [:]
        for (field, _, payload, _) in fields(bytes) ?? [] {
            switch field {
            case 1: meta["name"] = string(payload)
            case 2: meta["generateName"] = string(payload)
            case 3: meta["namespace"] = string(payload)
            case 11: if let (k, v) = mapEntry(payload, base64: false) { labels[k] = v }
            case 12: if let (k, v) = mapEntry(payload, base64: false) { annotations[k] = v }
            default: break
            }
        }
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        return meta
    }

    static func decode(_ body: Data) -> JSONValue? {
        let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]
        let bytes = [UInt8](body)
        guard bytes.starts(with: magic), let envelope = fields(Array(bytes.dropFirst(4))) else { return nil }
        let typeMeta = envelope.first { $0.0 == 1 }.flatMap { fields($0.2) } ?? []
        let apiVersion = typeMeta.first { $0.0 == 1 }.map { String(decoding: $0.2, as: UTF8.self) } ?? "v1"
        let kind = typeMeta.first { $0.0 == 2 }.map { String(decoding: $0.2, as: UTF8.self) } ?? ""
        guard let raw = envelope.first(where: { $0.0 == 2 })?.2, let message = fields(raw) else { return nil }
        var object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        switch kind {
        case "Namespace":
            for (field, _, payload, _) in message where field == 1 { object["metadata"] = objectMeta(payload) }
        case "ConfigMap", "Secret":
            var data: [String: JSONValue] = [:], binary: [String: JSONValue] = [:], stringData: [String: JSONValue] = [:]
            for (field, _, payload, value) in message {
                switch (kind, field) {
                case (_, 1): object["metadata"] = objectMeta(payload)
                case ("ConfigMap", 2): if let (k, v) = mapEntry(payload, base64: false) { data[k] = v }
                case ("ConfigMap", 3): if let (k, v) = mapEntry(payload, base64: true) { binary[k] = v }
                case ("ConfigMap", 4): object["immutable"] = .bool(value != 0)
                case ("Secret", 2): if let (k, v) = mapEntry(payload, base64: true) { data[k] = v }
                case ("Secret", 3): object["type"] = string(payload)
                case ("Secret", 4): if let (k, v) = mapEntry(payload, base64: false) { stringData[k] = v }
                case ("Secret", 5): object["immutable"] = .bool(value != 0)
                default: break
                }
            }
            if !data.isEmpty { object["data"] = .object(data) }
            if !binary.isEmpty { object["binaryData"] = .object(binary) }
            if !stringData.isEmpty { object["stringData"] = .object(stringData) }
        default:
            return AuthProtobuf.decode(kind: kind, message: message, into: object)
        }
        return object
    }
}
