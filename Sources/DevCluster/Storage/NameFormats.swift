/// The name formats of apimachinery `pkg/util/validation/validation.go` (v0.32, the release this
/// cluster reports in /version), each returning upstream's messages in upstream's order: one field
/// error per message (`IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`, `IsQualifiedName`,
/// `IsValidLabelValue`). Lengths are in bytes, as Go's `len`.
enum NameFormats {
    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"

    static let dns1123LabelMessage = regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        dns1123LabelFormat, "my-name", "123-abc")
    static let dns1123SubdomainMessage = regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFormat, "example.com")
    static let dns1035LabelMessage = regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFormat, "my-name", "abc-123")
    static let qualifiedNameMessage = regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        qualifiedNameFormat, "MyName", "my.name", "123-abc")
    static let labelValueMessage = regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFormat, "MyValue", "my_value", "12345")

    /// `MaxLenError` (v0.32 says "characters"; 1.35 and later say "bytes").
    static func maxLenError(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// `RegexError`: `msg (e.g. 'a',  or 'b', regex used for validation is 're')`, the double space included.
    static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        guard !examples.isEmpty else { return message + " (regex used for validation is '" + format + "')" }
        return message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ") + "regex used for validation is '" + format + "')"
    }

    static func dns1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLenError(63)) }
        if !isDNS1123Label(value) {
            // A valid subdomain that is not a label can only be one with dots (the length was checked).
            errors.append(isDNS1123Subdomain(value) ? "must not contain dots" : dns1123LabelMessage)
        }
        return errors
    }

    static func dns1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(maxLenError(253)) }
        if !isDNS1123Subdomain(value) { errors.append(dns1123SubdomainMessage) }
        return errors
    }

    static func dns1035Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLenError(63)) }
        if !(value.first.map { $0.isASCII && $0.isLowercase } ?? false) || !isDNS1123Label(value) { errors.append(dns1035LabelMessage) }
        return errors
    }

    /// `IsQualifiedName` (label keys, annotation keys lower-cased): `[prefix/]name`, the prefix a
    /// subdomain, the name at most 63 bytes.
    static func qualifiedName(_ value: String) -> [String] {
        var errors: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1: name = parts[0]
        case 2:
            name = parts[1]
            if parts[0].isEmpty { errors.append("prefix part must be non-empty") }
            else { errors += dns1123Subdomain(parts[0]).map { "prefix part " + $0 } }
        default:
            return ["a qualified name " + qualifiedNameMessage + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty { errors.append("name part must be non-empty") }
        else if name.utf8.count > 63 { errors.append("name part " + maxLenError(63)) }
        if !isQualifiedNamePart(name) { errors.append("name part " + qualifiedNameMessage) }
        return errors
    }

    static func labelValue(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLenError(63)) }
        if !value.isEmpty, !isQualifiedNamePart(value) { errors.append(labelValueMessage) }
        return errors
    }

    // MARK: the regular expressions, spelled out

    static func isDNS1123Label(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        return s.unicodeScalars.allSatisfy { lowerAlnum($0) || $0 == "-" } && lowerAlnum(first) && lowerAlnum(last)
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    static func isQualifiedNamePart(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        return s.unicodeScalars.allSatisfy { alnum($0) || "-_.".unicodeScalars.contains($0) } && alnum(first) && alnum(last)
    }

    private static func lowerAlnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
    private static func alnum(_ c: Unicode.Scalar) -> Bool { lowerAlnum(c) || ("A"..."Z").contains(c) }
}
