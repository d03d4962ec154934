/// Strict JSON in and out, key order preserved. Used for dynamic environment values (typed when they parse
/// as JSON, plain strings otherwise) and for `config --json`; Foundation's serializer would reorder keys and
/// blur booleans into numbers.
public enum JSONText {
    /// A JSON string literal for `text`.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Parses one complete JSON document, or returns nil when `text` is not JSON.
    public static func parse(_ text: String, source: ConfigSource) -> ConfigValue? {
        var parser = Parser(scalars: Array(text.unicodeScalars), source: source)
        parser.skipWhitespace()
        guard let value = parser.parseValue() else { return nil }
        parser.skipWhitespace()
        return parser.index == parser.scalars.count ? value : nil
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let source: ConfigSource
        var index = 0

        init(scalars: [Unicode.Scalar], source: ConfigSource) {
            self.scalars = scalars
            self.source = source
        }

        var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func skipWhitespace() {
            while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" { index += 1 }
        }

        mutating func consume(_ literal: String) -> Bool {
            let wanted = Array(literal.unicodeScalars)
            guard index + wanted.count <= scalars.count, Array(scalars[index..<index + wanted.count]) == wanted else { return false }
            index += wanted.count
            return true
        }

        mutating func parseValue() -> ConfigValue? {
            switch current {
            case "{": return parseObject()
            case "[": return parseArray()
            case "\"": return parseString().map { .string($0, source: source) }
            case "t": return consume("true") ? .bool(true, source: source) : nil
            case "f": return consume("false") ? .bool(false, source: source) : nil
            case "n": return consume("null") ? .null(source: source) : nil
            default: return parseNumber()
            }
        }

        mutating func parseObject() -> ConfigValue? {
            index += 1
            var object = ConfigObject()
            skipWhitespace()
            if current == "}" {
                index += 1
                return .object(object, source: source)
            }
            while true {
                skipWhitespace()
                guard current == "\"", let key = parseString() else { return nil }
                skipWhitespace()
                guard current == ":" else { return nil }
                index += 1
                skipWhitespace()
                guard let value = parseValue() else { return nil }
                object[key] = value
                skipWhitespace()
                if current == "," {
                    index += 1
                } else if current == "}" {
                    index += 1
                    return .object(object, source: source)
                } else {
                    return nil
                }
            }
        }

        mutating func parseArray() -> ConfigValue? {
            index += 1
            var values: [ConfigValue] = []
            skipWhitespace()
            if current == "]" {
                index += 1
                return .array(values, source: source)
            }
            while true {
                skipWhitespace()
                guard let value = parseValue() else { return nil }
                values.append(value)
                skipWhitespace()
                if current == "," {
                    index += 1
                } else if current == "]" {
                    index += 1
                    return .array(values, source: source)
                } else {
                    return nil
                }
            }
        }

        mutating func parseString() -> String? {
            index += 1
            var result = String.UnicodeScalarView()
            while let scalar = current {
                index += 1
                switch scalar {
                case "\"": return String(result)
                case "\\":
                    guard let escaped = current else { return nil }
                    index += 1
                    switch escaped {
                    case "\"", "\\", "/": result.append(escaped)
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    case "b": result.append("\u{08}")
                    case "f": result.append("\u{0C}")
                    case "u":
                        guard let decoded = parseUnicodeEscape() else { return nil }
                        result.append(decoded)
                    default: return nil
                    }
                default:
                    if scalar.value < 0x20 { return nil }
                    result.append(scalar)
                }
            }
            return nil
        }

        mutating func parseHex4() -> UInt32? {
            guard index + 4 <= scalars.count else { return nil }
            let text = String(String.UnicodeScalarView(scalars[index..<index + 4]))
            guard let value = UInt32(text, radix: 16) else { return nil }
            index += 4
            return value
        }

        mutating func parseUnicodeEscape() -> Unicode.Scalar? {
            guard let high = parseHex4() else { return nil }
            if (0xD800...0xDBFF).contains(high) {
                guard consume("\\u"), let low = parseHex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)
        }

        mutating func parseNumber() -> ConfigValue? {
            let start = index
            if current == "-" { index += 1 }
            guard let first = current, ("0"..."9").contains(first) else { return nil }
            if first == "0" {
                index += 1
            } else {
                while let digit = current, ("0"..."9").contains(digit) { index += 1 }
            }
            var isInteger = true
            if current == "." {
                isInteger = false
                index += 1
                guard let digit = current, ("0"..."9").contains(digit) else { return nil }
                while let digit = current, ("0"..."9").contains(digit) { index += 1 }
            }
            if current == "e" || current == "E" {
                isInteger = false
                index += 1
                if current == "+" || current == "-" { index += 1 }
                guard let digit = current, ("0"..."9").contains(digit) else { return nil }
                while let digit = current, ("0"..."9").contains(digit) { index += 1 }
            }
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            if isInteger, let value = Int(text) { return .int(value, source: source) }
            return Double(text).map { .double($0, source: source) }
        }
    }
}
