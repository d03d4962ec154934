import Foundation
import JSONValue

/// The `get_all` request language shared by tasks, queues and projects: ids, name regex, tag filters with
/// `-x`/`__$all`/`__$any`/`__$not`, direct field filters, `only_fields` projection (dotted), `order_by`, paging.
struct ListQuery: Sendable {
    var ids: [String]?
    var name: NSRegularExpressionBox?
    var tags: TagFilter?
    var systemTags: TagFilter?
    var fieldFilters: [(path: [String], values: [JSONValue])] = []
    var onlyFields: [String]?
    var orderBy: [String] = []
    var page: Int?
    var pageSize: Int?
    var searchText: String?

    /// - Parameters:
    ///   - filterKeys: body keys filtered by equality/membership (e.g. `status`, `execution.queue`).
    ///   - filterPrefixes: key prefixes filtered the same way (`runtime.`, `hyperparams.`).
    init(_ call: APICall, filterKeys: [String] = [], filterPrefixes: [String] = []) throws(APIError) {
        ids = try call.stringList("id")
        if let pattern = try call.string("name") {
            do {
                name = NSRegularExpressionBox(try NSRegularExpression(pattern: pattern))
            } catch {
                throw APIError.validation("name: invalid regular expression '\(pattern)'")
            }
        }
        tags = try call.stringList("tags").map(TagFilter.init)
        systemTags = try call.stringList("system_tags").map(TagFilter.init)
        onlyFields = try call.stringList("only_fields")
        orderBy = try call.stringList("order_by") ?? []
        page = try call.int("page").map { Int(clamping: $0) }
        pageSize = try call.int("page_size").map { Int(clamping: $0) }
        if pageSize == nil, let size = try call.int("size") { pageSize = Int(clamping: size) }
        searchText = try call.string("search_text")
        for (key, value) in call.body.objectValue ?? [:] where !value.isNull {
            guard filterKeys.contains(key) || filterPrefixes.contains(where: { key.hasPrefix($0) }) else { continue }
            let values: [JSONValue] = value.arrayValue ?? [value]
            fieldFilters.append((key.split(separator: ".").map(String.init), values))
        }
    }

    func matches(_ doc: JSONValue) throws(APIError) -> Bool {
        if let ids, !ids.contains(doc["id"]?.strictString ?? "") { return false }
        if let name {
            let text = doc["name"]?.strictString ?? ""
            if name.regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { return false }
        }
        if let tags, !tags.matches(doc["tags"]?.stringList ?? []) { return false }
        if let systemTags, !systemTags.matches(doc["system_tags"]?.stringList ?? []) { return false }
        for filter in fieldFilters {
            let actual = doc.value(at: filter.path) ?? .null
            let candidates = actual.arrayValue ?? [actual]
            let wanted = filter.values.map(Self.normalized)
            if !candidates.contains(where: { wanted.contains(Self.normalized($0)) }) { return false }
        }
        if let searchText, !searchText.isEmpty {
            let haystack = [doc["id"], doc["name"], doc["comment"]].compactMap { $0?.strictString }.joined(separator: "\n")
            if !haystack.localizedCaseInsensitiveContains(searchText) { return false }
        }
        return true
    }

    /// Ints and equal-valued doubles/strings compare equal, since query-string filters arrive as text.
    private static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let number) where number.rounded() == number && abs(number) < 9e18: return .int(Int64(number))
        default: return value
        }
    }

    func sort(_ docs: [JSONValue]) -> [JSONValue] {
        guard !orderBy.isEmpty else { return docs }
        let keys = orderBy.map { spec -> (path: [String], descending: Bool) in
            let descending = spec.hasPrefix("-")
            return (spec.dropFirst(descending ? 1 : 0).split(separator: ".").map(String.init), descending)
        }
        return docs.sorted { lhs, rhs in
            for key in keys {
                let left = lhs.value(at: key.path) ?? .null, right = rhs.value(at: key.path) ?? .null
                if let ordered = Self.compare(left, right) { return key.descending ? !ordered : ordered }
            }
            return false
        }
    }

    /// true if lhs < rhs, false if lhs > rhs, nil if equal or incomparable.
    private static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool? {
        if let left = lhs.strictString, let right = rhs.strictString, left != right { return left < right }
        if let left = lhs.doubleValue, let right = rhs.doubleValue, left != right,
           lhs.strictString == nil, rhs.strictString == nil { return left < right }
        if lhs.isNull && !rhs.isNull { return true }
        if !lhs.isNull && rhs.isNull { return false }
        return nil
    }

    func page(_ docs: [JSONValue]) -> [JSONValue] {
        guard let pageSize, pageSize > 0 else { return docs }
        let start = max(page ?? 0, 0).multipliedReportingOverflow(by: pageSize)
        guard !start.overflow, start.partialValue < docs.count else { return [] }
        return Array(docs[start.partialValue..<min(docs.count, start.partialValue + pageSize)])
    }

    /// Keeps only the requested (possibly dotted) fields.
    func project(_ doc: JSONValue) -> JSONValue {
        guard let onlyFields, !onlyFields.isEmpty else { return doc }
        var result: JSONValue = .object([:])
        for field in onlyFields {
            let path = field.split(separator: ".").map(String.init)
            if let value = doc.value(at: path) {
                result.set(value, at: path)
                continue
            }
            // Like a Mongo projection: an existing parent object shows up (possibly empty) even if the leaf is absent.
            for depth in stride(from: path.count - 1, to: 0, by: -1) {
                let parent = Array(path.prefix(depth))
                if doc.value(at: parent)?.objectValue != nil {
                    if result.value(at: parent) == nil { result.set(.object([:]), at: parent) }
                    break
                }
            }
        }
        return result
    }
}

/// Tag list filters: plain tags are alternatives (`__$any`, default) or all required (`__$all`); `-tag` and
/// `__$not tag` exclude.
struct TagFilter: Sendable {
    var include: [String] = []
    var exclude: [String] = []
    var requireAll = false

    init(_ terms: [String]) {
        var negateNext = false
        for term in terms {
            switch term {
            case "__$all": requireAll = true
            case "__$any": requireAll = false
            case "__$not": negateNext = true
            default:
                if negateNext || (term.hasPrefix("-") && term.count > 1) {
                    exclude.append(negateNext ? term : String(term.dropFirst()))
                } else {
                    include.append(term)
                }
                negateNext = false
            }
        }
    }

    func matches(_ tags: [String]) -> Bool {
        if exclude.contains(where: tags.contains) { return false }
        if include.isEmpty { return true }
        return requireAll ? include.allSatisfy(tags.contains) : include.contains(where: tags.contains)
    }
}

/// NSRegularExpression is immutable and thread-safe once built, but not marked Sendable on every platform.
struct NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}
