import JSONValue
import KubeAPI

/// Timestamp fields decoded as apimachinery decodes them. `metav1.MicroTime` parses with the fixed layout
/// `2006-01-02T15:04:05.000000Z07:00` (exactly six fractional digits), `metav1.Time` with `time.RFC3339`
/// (which in Go also takes fractions). A field that does not parse fails the whole decode, whatever
/// `fieldValidation` says: a 400 built by apiserver `handlers/rest.go transformDecodeError`.
enum TimeFields {
    enum Layout: String {
        case time = "2006-01-02T15:04:05Z07:00"
        case microTime = "2006-01-02T15:04:05.000000Z07:00"
    }

    /// Paths of the time fields of each kind (k8s.io/api types: LeaseSpec, core/v1 Event, ObjectMeta).
    static let fields: [ResourceType: [([String], Layout)]] = [
        .leases: [(["spec", "acquireTime"], .microTime), (["spec", "renewTime"], .microTime)],
        .events: [
            (["eventTime"], .microTime), (["series", "lastObservedTime"], .microTime),
            (["firstTimestamp"], .time), (["lastTimestamp"], .time),
        ],
    ]
    static let metadataFields: [([String], Layout)] = [
        (["metadata", "creationTimestamp"], .time), (["metadata", "deletionTimestamp"], .time),
    ]

    /// The decode error for the first time field that does not parse, or nil.
    static func decodeError(_ object: JSONValue, type: ResourceType) -> APIError? {
        for (path, layout) in metadataFields + (fields[type] ?? []) {
            guard let value = object.value(at: path) else { continue }
            switch value {
            case .null: continue
            case .string(let text):
                if let problem = parseProblem(text, layout) {
                    return .badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): parsing time \"\(text)\" as \"\(layout.rawValue)\": \(problem)")
                }
            default:
                return .badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): json: cannot unmarshal \(jsonKind(value)) into Go struct field \(goField(type, path)) of type string")
            }
        }
        return nil
    }

    /// Go's `time.ParseError` detail (`cannot parse "<rest>" as "<layout element>"`) for the common
    /// mistakes, nil when the text parses.
    static func parseProblem(_ text: String, _ layout: Layout) -> String? {
        let ok = layout == .microTime ? KubeTime.isMicroTime(text) : KubeTime.isTime(text)
        if ok { return nil }
        let characters = Array(text)
        // Positions after `YYYY-MM-DDThh:mm:ss` (19 characters).
        guard characters.count >= 19, KubeTime.isTime(String(characters[0..<19]) + "Z") else {
            return "cannot parse \"\(text)\" as \"2006\""
        }
        let rest = String(characters[19...])
        guard layout == .microTime else { return "cannot parse \"\(rest)\" as \"Z07:00\"" }
        guard rest.hasPrefix(".") else { return "cannot parse \"\(rest)\" as \".000000\"" }
        let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }.count
        if digits < 6 { return "cannot parse \"\(rest)\" as \".000000\"" }
        return "cannot parse \"\(String(rest.dropFirst(7)))\" as \"Z07:00\""
    }

    private static func jsonKind(_ value: JSONValue) -> String {
        switch value {
        case .int, .double: "number"
        case .bool: "bool"
        case .array: "array"
        case .object: "object"
        default: "string"
        }
    }

    private static func goField(_ type: ResourceType, _ path: [String]) -> String {
        let owner = path.count > 1 ? (path[0] == "metadata" ? "ObjectMeta" : type.kind + path[0].prefix(1).uppercased() + path[0].dropFirst()) : type.kind
        return "\(owner).\(path.joined(separator: "."))"
    }
}
