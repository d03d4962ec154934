import Foundation
import JSONValue

/// Query parameters of a write. `fieldValidation=Strict` makes the API server refuse unknown and
/// duplicate fields with a 400 instead of dropping them with a warning (its default is `Warn`), so a
/// typo in a pod template fails loudly; `dryRun=All` runs validation and admission without persisting.
public struct WriteOptions: Sendable, Equatable {
    public enum FieldValidation: String, Sendable { case strict = "Strict", warn = "Warn", ignore = "Ignore" }

    public var fieldManager: String?
    public var fieldValidation: FieldValidation?
    public var dryRun = false

    public init(fieldManager: String? = nil, fieldValidation: FieldValidation? = nil, dryRun: Bool = false) {
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
        self.dryRun = dryRun
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if dryRun { items.append(("dryRun", "All")) }
        if let fieldManager { items.append(("fieldManager", fieldManager)) }
        if let fieldValidation { items.append(("fieldValidation", fieldValidation.rawValue)) }
        return items
    }
}

/// A successful write: the object as stored (or as it would be, under dry run) and the server's warnings.
public struct KubeWriteResult: Sendable {
    public var object: JSONValue
    public var warnings: [String]
}

/// RFC 7234 `Warning` header values as the API server sends them: `299 - "text"`.
enum KubeWarning {
    static func text(_ header: String) -> String? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0].count == 3, parts[0].allSatisfy(\.isNumber) else { return trimmed.isEmpty ? nil : trimmed }
        var quoted = String(parts[2])
        // A date may follow the quoted text: `299 - "text" "Mon, 01 Jan..."`.
        guard quoted.hasPrefix("\"") else { return quoted }
        quoted.removeFirst()
        var text = ""
        var escaped = false
        for character in quoted {
            if escaped { text.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { break }
            text.append(character)
        }
        return text
    }
}
