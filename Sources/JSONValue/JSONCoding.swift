/// Why a document is not JSON, and where.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// The one JSON reader and writer of the project, straight over UTF-8 bytes. Codable's single-value probing
/// (try Bool, then Int, then ...) throws and catches at every node, which made watch decoding the bottleneck;
/// Foundation's JSONSerialization cannot tell `true` from `1` on every platform and reorders keys.
///
/// Reading is strict RFC 8259 (no leading zeros, no raw control characters in strings, only the escapes the
/// RFC names; at most 512 nested containers), so "is this text JSON?" has one answer everywhere; an unpaired
/// UTF-16 surrogate escape, which Python's `json.dumps` does write, reads as U+FFFD.
enum JSONCoding {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, visit: ((JSONValue.ReadEvent) -> Void)? = nil) throws -> JSONValue {
        var parser = Parser(bytes: bytes, visit: visit)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("trailing characters") }
        return value
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        /// Only for `JSONValue.decode(_:visit:)`: the document's structure in reading order.
        let visit: ((JSONValue.ReadEvent) -> Void)?
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>, visit: ((JSONValue.ReadEvent) -> Void)?) {
            self.bytes = bytes
            self.visit = visit
        }

        func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// Whether the next byte is `byte` (false at the end).
        func at(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                visit?(.objectStart)
                var fields: [String: JSONValue] = [:]
                skipWhitespace()
                if at(UInt8(ascii: "}")) { return close(.object(fields)) }
                while true {
                    skipWhitespace()
                    guard at(UInt8(ascii: "\"")) else { throw fail("expected a key") }
                    let key = try string()
                    visit?(.key(key))
                    skipWhitespace()
                    guard at(UInt8(ascii: ":")) else { throw fail("expected ':'") }
                    index += 1
                    skipWhitespace()
                    fields[key] = try value(depth: depth + 1)
                    if try atEnd(of: "object", closedBy: UInt8(ascii: "}")) { return close(.object(fields)) }
                }
            case UInt8(ascii: "["):
                index += 1
                visit?(.arrayStart)
                var items: [JSONValue] = []
                skipWhitespace()
                if at(UInt8(ascii: "]")) { return close(.array(items)) }
                while true {
                    skipWhitespace()
                    items.append(try value(depth: depth + 1))
                    if try atEnd(of: "array", closedBy: UInt8(ascii: "]")) { return close(.array(items)) }
                }
            case UInt8(ascii: "\""): return scalar(.string(try string()))
            case UInt8(ascii: "t"): return scalar(try literal("true", .bool(true)))
            case UInt8(ascii: "f"): return scalar(try literal("false", .bool(false)))
            case UInt8(ascii: "n"): return scalar(try literal("null", .null))
            default: return scalar(try number())
            }
        }

        /// After a member or item: steps over a comma and answers false, or answers true at the closing bracket.
        mutating func atEnd(of container: String, closedBy closing: UInt8) throws -> Bool {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated \(container)") }
            if bytes[index] == closing { return true }
            guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or '\(Unicode.Scalar(closing))'") }
            index += 1
            return false
        }

        /// Steps over the closing bracket of a container.
        mutating func close(_ container: JSONValue) -> JSONValue {
            index += 1
            visit?(.end)
            return container
        }

        func scalar(_ value: JSONValue) -> JSONValue {
            visit?(.scalar(value))
            return value
        }

        mutating func literal(_ text: StaticString, _ value: JSONValue) throws -> JSONValue {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("truncated literal") }
            for i in 0..<count where bytes[index + i] != text.utf8Start[i] { throw fail("bad literal") }
            index += count
            return value
        }

        /// Whether the next byte is a decimal digit.
        var atDigit: Bool { index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") }

        mutating func digits() throws {
            guard atDigit else { throw fail("expected a digit") }
            while atDigit { index += 1 }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer that fits in Int64 stays an int
        /// (so 9007199254740993 is exact), anything else is a double.
        mutating func number() throws -> JSONValue {
            let start = index
            let negative = at(UInt8(ascii: "-"))
            if negative { index += 1 }
            guard atDigit else { throw fail("unexpected character") }
            if at(UInt8(ascii: "0")) { index += 1 } else { try digits() }
            var isInteger = true
            if at(UInt8(ascii: ".")) {
                isInteger = false
                index += 1
                try digits()
            }
            if at(UInt8(ascii: "e")) || at(UInt8(ascii: "E")) {
                isInteger = false
                index += 1
                if at(UInt8(ascii: "+")) || at(UInt8(ascii: "-")) { index += 1 }
                try digits()
            }
            let digitStart = negative ? start + 1 : start
            // Up to 18 digits cannot overflow Int64: add them up without making a String.
            if isInteger, index - digitStart <= 18 {
                var magnitude: Int64 = 0
                for i in digitStart..<index { magnitude = magnitude * 10 + Int64(bytes[i] &- UInt8(ascii: "0")) }
                return .int(negative ? -magnitude : magnitude)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if isInteger, let int = Int64(text) { return .int(int) }
            guard let double = Double(text) else { throw JSONParseError(offset: start, reason: "bad number '\(text)'") }
            return .double(double)
        }

        mutating func string() throws -> String {
            index += 1
            var start = index
            // Unescaped runs are copied whole; most strings are one run and decode straight from the input.
            // (Hex literals in this loop: `UInt8(ascii:)` is a call per byte in debug builds.)
            var unescaped: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {  // "
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    if unescaped.isEmpty { return String(decoding: run, as: UTF8.self) }
                    unescaped.append(contentsOf: run)
                    return String(decoding: unescaped, as: UTF8.self)
                }
                if byte == 0x5C {  // \
                    unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    index += 1
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                    case UInt8(ascii: "b"): unescaped.append(0x08)
                    case UInt8(ascii: "f"): unescaped.append(0x0C)
                    case UInt8(ascii: "n"): unescaped.append(0x0A)
                    case UInt8(ascii: "r"): unescaped.append(0x0D)
                    case UInt8(ascii: "t"): unescaped.append(0x09)
                    case UInt8(ascii: "u"): UTF8.encode(try unicodeEscape()) { unescaped.append($0) }
                    default:
                        index -= 1
                        throw fail("bad escape")
                    }
                    start = index
                    continue
                }
                guard byte >= 0x20 else { throw fail("control character in string") }
                index += 1
            }
            throw fail("unterminated string")
        }

        /// After `\u`: one code point, or a surrogate pair written as two escapes.
        mutating func unicodeEscape() throws -> Unicode.Scalar {
            let code = try hex4()
            guard (0xD800..<0xDC00).contains(code) else { return Unicode.Scalar(code) ?? "\u{FFFD}" }
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                return "\u{FFFD}"
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
            return Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("bad \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }

    /// Compact output with sorted keys, so equal values serialise to equal bytes. Doubles keep a fraction
    /// ("150.0"), so a double stays a double across a round trip; NaN and infinities, which JSON lacks, are null.
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite { out.append(contentsOf: d.description.utf8) }
            else { out.append(contentsOf: "null".utf8) }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if let field = fields[key] { write(field, into: &out) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A string literal as Python's `json.dumps(ensure_ascii=False)` writes it: `"` and `\` escaped, control
    /// characters as `\n`-style escapes or `\u00XX`, everything else (including `/` and non-ASCII) as is.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var pending = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[pending..<i]))
                pending = i + 1
                out.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hexDigits[Int(b >> 4)])
                    out.append(hexDigits[Int(b & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[pending...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
