import Foundation

/// POSIX-shell-style word splitting (what upstream does with `shlex.split` for list variables such as
/// `K8S_GLUE_POD_MONITOR_EVICTION_REASONS` and `CLEARML_EXTRA_PIP_INSTALL_FLAGS`).
public enum ShellWords {
    public enum SplitError: Error, Sendable, Equatable {
        case unterminatedQuote(Character)
        case trailingBackslash
    }

    public static func split(_ text: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(text)[...]
        while let character = iterator.popFirst() {
            switch character {
            case "'":
                inWord = true
                guard let end = iterator.firstIndex(of: "'") else { throw .unterminatedQuote("'") }
                current += String(iterator[..<end])
                iterator = iterator[(end + 1)...]
            case "\"":
                inWord = true
                var closed = false
                while let next = iterator.popFirst() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\", let escaped = iterator.first, "\"\\$`\n".contains(escaped) {
                        iterator.removeFirst()
                        if escaped != "\n" { current.append(escaped) }
                    } else {
                        current.append(next)
                    }
                }
                if !closed { throw .unterminatedQuote("\"") }
            case "\\":
                guard let escaped = iterator.popFirst() else { throw .trailingBackslash }
                inWord = true
                if escaped != "\n" { current.append(escaped) }
            case _ where character.isWhitespace:
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// Joins words so that `split` gives them back, quoting only where needed.
    public static func join(_ words: [String]) -> String {
        words.map { word in
            let safe = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_=./:,@%+".contains($0) }
            return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
