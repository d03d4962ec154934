/// `~` expansion against an injected home folder (tests never touch the real one).
public enum PathExpansion {
    public static func expandingTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") {
            let base = home.hasSuffix("/") ? String(home.dropLast()) : home
            return base + path.dropFirst()
        }
        return path
    }
}
