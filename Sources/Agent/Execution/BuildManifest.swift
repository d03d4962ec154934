import Foundation

/// What `build --target DIR` prepared, so a later `execute --target DIR` of the same task reuses it.
struct BuildManifest: Codable, Sendable {
    var task: String
    var code: CodeCheckout.Result
    var python: String
    var venv: String?

    static func path(in target: String) -> String { (target as NSString).appendingPathComponent(".clearml-glue-build.json") }

    static func read(_ path: String) -> BuildManifest? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(BuildManifest.self, from: data)
    }

    func write(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
