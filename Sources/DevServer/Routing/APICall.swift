import Foundation
import JSONValue

/// One decoded API call as endpoints see it: the merged body/query object (or json-lines batch), the caller's
/// identity and the X-ClearML-* headers that matter.
struct APICall: Sendable {
    var endpoint: String
    /// The version the client asked for (path `vX.Y`, else the max): some answers depend on it.
    var version: APIVersion = .max
    var body: JSONValue
    /// For json-lines requests: every line. For a plain JSON object: a batch of one.
    var batch: [JSONValue]
    var identity: Identity
    var worker: String?
    var now: Date

    // MARK: Field access with upstream's validation errors

    func required(_ field: String) throws(APIError) -> JSONValue {
        guard let value = body[field], !value.isNull else {
            throw APIError.missingRequiredFields([field], endpoint: endpoint)
        }
        return value
    }

    func requiredString(_ field: String) throws(APIError) -> String {
        let value = try required(field)
        guard let string = value.strictString else {
            throw APIError.validation("\(field): expected a string")
        }
        return string
    }

    func string(_ field: String) throws(APIError) -> String? {
        guard let value = body[field], !value.isNull else { return nil }
        switch value {
        case .string(let string): return string
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        default: throw APIError.validation("\(field): expected a string")
        }
    }

    func bool(_ field: String, default fallback: Bool = false) throws(APIError) -> Bool {
        guard let value = body[field], !value.isNull else { return fallback }
        guard let flag = value.lenientBool else { throw APIError.validation("\(field): expected a boolean") }
        return flag
    }

    func int(_ field: String) throws(APIError) -> Int64? {
        guard let value = body[field], !value.isNull else { return nil }
        guard let number = value.intValue else { throw APIError.validation("\(field): expected an integer") }
        return number
    }

    func stringList(_ field: String) throws(APIError) -> [String]? {
        guard let value = body[field], !value.isNull else { return nil }
        switch value {
        case .string(let string): return [string]
        case .array(let items):
            var result: [String] = []
            for item in items {
                guard let string = item.strictString else { throw APIError.validation("\(field): expected a list of strings") }
                result.append(string)
            }
            return result
        default: throw APIError.validation("\(field): expected a list of strings")
        }
    }

    func object(_ field: String) throws(APIError) -> [String: JSONValue]? {
        guard let value = body[field], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw APIError.validation("\(field): expected an object") }
        return object
    }

    var nowString: String { Timestamps.iso(now) }
}

/// An endpoint implementation: takes a call, returns `data` (or throws an `APIError`).
typealias EndpointHandler = @Sendable (APICall) async throws -> JSONValue

struct Endpoint: Sendable {
    var name: String
    /// `min_version`s of the implementations (ascending); the newest one not above the requested version serves.
    var versions: [APIVersion]
    var authenticated: Bool
    var handler: EndpointHandler
}

struct APIVersion: Sendable, Comparable, CustomStringConvertible {
    var major: Int
    var minor: Int

    init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    init?(_ text: Substring) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int(parts[0]) else { return nil }
        let minor = parts.count == 2 ? Int(parts[1]) : 0
        guard let minor else { return nil }
        self.init(major, minor)
    }

    static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    var description: String { "\(major).\(minor)" }

    static let max = APIVersion(2, 31)
}
