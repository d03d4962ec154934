import Foundation

/// A prepared interpreter for the task: the Python to run, and what it holds.
public struct PythonEnvironment: Sendable, Equatable {
    /// The interpreter to run the entry point with.
    public var python: String
    /// The virtual environment's folder, nil when running on an existing interpreter.
    public var venv: String?
    /// `pip freeze` of the environment when known.
    public var freeze: String?
    /// True when a cached or prepared environment was reused (no installation ran).
    public var reused: Bool

    public init(python: String, venv: String?, freeze: String?, reused: Bool) {
        self.python = python
        self.venv = venv
        self.freeze = freeze
        self.reused = reused
    }

    /// What the marker file in a finished venv records.
    struct Marker: Codable, Equatable {
        var key: String
        var python: String
        var freeze: String?

        static let fileName = ".clearml-glue-venv.json"

        static func read(venv: String) -> Marker? {
            let path = (venv as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return try? JSONDecoder().decode(Marker.self, from: data)
        }

        func write(venv: String) throws {
            let path = (venv as NSString).appendingPathComponent(Self.fileName)
            try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
