import Foundation
import JSONValue
import KubeAPI

/// Resource quantities (`500m`, `2Gi`, `1e3`) parsed as apimachinery parses them
/// (`pkg/api/resource/quantity.go ParseQuantity`, `parseQuantityString`, `UnmarshalJSON`; `suffix.go interpret`).
/// A quantity that does not parse fails the whole decode: a 400 from apiserver `handlers/rest.go
/// transformDecodeError`, whatever `fieldValidation` says.
enum Quantity {
    /// The three errors `ParseQuantity` returns, with upstream's text.
    enum ParseError: String, Error, Equatable {
        case format = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        case numeric = "unable to parse numeric part of quantity"
        case suffix = "unable to parse quantity's suffix"
    }

    /// The value in base units (cores, bytes, devices); nil when the text is not a quantity.
    static func parse(_ text: String) -> Double? {
        try? value(of: text.trimmingCharacters(in: .whitespaces))
    }

    /// `ParseQuantity(str)`: the text must already be trimmed, as `UnmarshalJSON` trims it.
    static func value(of text: String) throws(ParseError) -> Double {
        if text.isEmpty { throw .format }
        if text == "0" { return 0 }
        let parts = try split(Array(text.utf8))
        guard let (base, exponent, binary) = interpret(parts.suffix) else { throw .suffix }
        // The int64 fast path (taken when the digits fit and the scale is at least nano) never fails;
        // the inf.Dec path fails when the numeric part has no digit at all (".e-20").
        let precision = binary ? 15 - parts.num.count - Int(Float(exponent) * 3 / 10) - 1 : 18 - (parts.num.count + parts.denom.count)
        let fast = binary ? parts.denom.isEmpty && precision >= 0 : precision >= 0 && exponent - parts.denom.count >= -9
        if !fast, !parts.value.contains(where: { $0.isASCII && $0.isNumber }) { throw .numeric }
        let magnitude = Double(parts.num + "." + (parts.denom.isEmpty ? "0" : parts.denom)) ?? 0
        let scaled = magnitude * (binary ? Double.pow2(exponent) : Double.pow10(exponent))
        return parts.positive ? scaled : -scaled
    }

    /// `Quantity.UnmarshalJSON`: `null` is zero, quotes are stripped and the text trimmed, so a JSON
    /// number is a quantity too; anything else (`true`, `{}`) is its raw text and fails the format.
    static func decode(_ value: JSONValue) throws(ParseError) {
        switch value {
        case .null: return
        case .string(let text): _ = try Self.value(of: text.trimmingCharacters(in: .whitespacesAndNewlines))
        case .int, .double: _ = try Self.value(of: value.stringValue ?? "")
        default: throw .format
        }
    }

    struct Parts {
        var positive = true
        var value = ""
        var num = ""
        var denom = ""
        var suffix = ""
    }

    /// `parseQuantityString`: sign, leading zeros, numerator, `.` denominator, then the suffix letters,
    /// an optional sign and digits. Anything after that is a format error.
    static func split(_ s: [UInt8]) throws(ParseError) -> Parts {
        var parts = Parts()
        let end = s.count
        var pos = 0
        func text(_ from: Int, _ to: Int) -> String { String(decoding: s[from..<to], as: UTF8.self) }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        if pos < end, s[0] == UInt8(ascii: "-") { parts.positive = false; pos += 1 } else if pos < end, s[0] == UInt8(ascii: "+") { pos += 1 }
        while true {
            if pos >= end { parts.num = "0"; parts.value = "0"; return parts }
            if s[pos] != UInt8(ascii: "0") { break }
            pos += 1
        }
        var i = pos
        while i < end, isDigit(s[i]) { i += 1 }
        parts.num = text(pos, i)
        if i >= end { parts.value = text(0, end); return parts }
        pos = i
        if parts.num.isEmpty { parts.num = "0" }
        if s[pos] == UInt8(ascii: ".") {
            pos += 1
            i = pos
            while i < end, isDigit(s[i]) { i += 1 }
            parts.denom = text(pos, i)
            if i >= end { parts.value = text(0, end); return parts }
            pos = i
        }
        parts.value = text(0, pos)
        let suffixStart = pos
        let letters = Set("eEinumkKMGTP".utf8)
        while pos < end, letters.contains(s[pos]) { pos += 1 }
        if pos < end, s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+") { pos += 1 }
        while pos < end, isDigit(s[pos]) { pos += 1 }
        guard pos == end else { throw .format }
        parts.suffix = text(suffixStart, end)
        return parts
    }

    /// `suffixHandler.interpret`: the decimal SI table, the binary SI table, then `e`/`E` with an exponent.
    static func interpret(_ suffix: String) -> (base: Int, exponent: Int, binary: Bool)? {
        let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
        let binary: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
        if let exponent = decimal[suffix] { return (10, exponent, false) }
        if let exponent = binary[suffix] { return (2, exponent, true) }
        if suffix.count > 1, suffix.first == "e" || suffix.first == "E", let exponent = Int64(goInteger: suffix.dropFirst()) {
            return (10, Int(Int32(truncatingIfNeeded: exponent)), false)
        }
        return nil
    }
}

/// Where quantities sit in the kinds this cluster decodes: every pod spec (a Pod's, or a workload's
/// template) in `k8s.io/api` struct order, map keys sorted (JSON objects here keep no order).
enum QuantityFields {
    /// Path of the pod spec inside an object of this kind.
    static func podSpecPath(kind: String) -> [String]? {
        switch kind {
        case "Pod": ["spec"]
        case "Job", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController": ["spec", "template", "spec"]
        case "PodTemplate": ["template", "spec"]
        case "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"]
        default: nil
        }
    }

    /// (dotted field path, value) of every quantity in a pod spec.
    static func quantities(inPodSpec spec: JSONValue, prefix: String) -> [(field: String, value: JSONValue)] {
        var found: [(String, JSONValue)] = []
        func resourceMaps(_ value: JSONValue?, _ path: String) {
            for map in ["limits", "requests"] {
                for (key, quantity) in (value?[map]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    found.append(("\(path).\(map)[\(key)]", quantity))
                }
            }
        }
        for (i, volume) in (spec["volumes"]?.arrayValue ?? []).enumerated() {
            if let size = volume[path: "emptyDir", "sizeLimit"] { found.append(("\(prefix).volumes[\(i)].emptyDir.sizeLimit", size)) }
            resourceMaps(volume[path: "ephemeral", "volumeClaimTemplate", "spec", "resources"],
                         "\(prefix).volumes[\(i)].ephemeral.volumeClaimTemplate.spec.resources")
        }
        for group in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, container) in (spec[group]?.arrayValue ?? []).enumerated() {
                resourceMaps(container["resources"], "\(prefix).\(group)[\(i)].resources")
            }
        }
        for (key, quantity) in (spec["overhead"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            found.append(("\(prefix).overhead[\(key)]", quantity))
        }
        resourceMaps(spec["resources"], "\(prefix).resources")
        return found
    }

    static func quantities(in object: JSONValue, kind: String) -> [(field: String, value: JSONValue)] {
        guard let path = podSpecPath(kind: kind), let spec = object.value(at: path) else { return [] }
        return quantities(inPodSpec: spec, prefix: path.joined(separator: "."))
    }

    /// The 400 for the first quantity that does not parse, or nil.
    static func decodeError(_ object: JSONValue, type: ResourceType) -> APIError? {
        for (_, value) in quantities(in: object, kind: type.kind) {
            do { try Quantity.decode(value) } catch {
                return .badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): \(error.rawValue)")
            }
        }
        return nil
    }

    /// Parsed but negative: `ValidateNonnegativeQuantity` (k/k `pkg/apis/core/validation/validation.go`,
    /// `isNegativeErrorMsg`) on container requests and limits and on the pod overhead, a 422 each.
    static func negativeCauses(_ object: JSONValue, kind: String) -> [Validation.Cause] {
        quantities(in: object, kind: kind).compactMap { field, value in
            guard field.contains(".resources.") || field.contains(".overhead["), !field.contains(".volumes["),
                  let text = value.stringValue, let number = Quantity.parse(text), number < 0 else { return nil }
            return Validation.invalid(field, text.trimmingCharacters(in: .whitespaces), "must be greater than or equal to 0")
        }
    }
}

extension Int64 {
    /// Go's `strconv.ParseInt(s, 10, 64)`: one optional sign, then decimal digits only.
    init?(goInteger text: Substring) {
        let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : text
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        self.init(text.first == "+" ? digits : text)
    }
}

extension Double {
    static func pow10(_ exponent: Int) -> Double { Foundation.pow(10, Double(exponent)) }
    static func pow2(_ exponent: Int) -> Double { Foundation.pow(2, Double(exponent)) }
}
