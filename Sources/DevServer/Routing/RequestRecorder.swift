import Foundation
import JSONValue
import Synchronization

/// `server --record-requests FILE`: one JSON line per request, in the shape of the recorded upstream traces
/// (`Tests/Fixtures/traces/README.md`: `t`, `method`, `path`, `headers`, `body`, `status`), so a test can compare
/// the calls our clients make with those of the upstream clients. Opt-in and for tests: it writes bodies as they
/// came, which may hold task data; credentials are not written (`Authorization` and `Cookie` keep only their shape).
final class RequestRecorder: Sendable {
    private let file: Mutex<FileHandle>

    init(path: String) throws(DevServerError) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw .invalidConfiguration("cannot create the request record file \(path): check that its folder exists and is writable")
        }
        file = Mutex(handle)
    }

    /// `headers` as (name, value) pairs; a json-lines body is written as the list of its lines.
    func record(method: String, path: String, headers: [(String, String)], body: [UInt8], status: Int) {
        var fields: [String: JSONValue] = [:]
        for (name, value) in headers {
            fields[name] = .string(Self.masked(name: name, value: value))
        }
        let contentType = headers.first { $0.0.lowercased() == "content-type" }?.1
        let line: JSONValue = [
            "t": .double(Date().timeIntervalSince1970), "method": .string(method), "path": .string(path),
            "headers": .object(fields), "body": Self.parsed(body, contentType: contentType), "status": .int(Int64(status)),
        ]
        let bytes = line.encodedBytes() + [0x0A]
        file.withLock { $0.write(Data(bytes)) }
    }

    /// As the traces do: the scheme and the length, never the secret itself.
    private static func masked(name: String, value: String) -> String {
        switch name.lowercased() {
        case "authorization":
            let parts = value.split(separator: " ", maxSplits: 1)
            return parts.count == 2 ? "\(parts[0]) <\(parts[1].count) chars>" : "<\(value.count) chars>"
        case "cookie", "set-cookie":
            return "<\(value.count) chars>"
        default:
            return value
        }
    }

    private static func parsed(_ body: [UInt8], contentType: String?) -> JSONValue {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .null }
        switch try? RequestDecoding.parseBody(body, contentType: contentType) {
        case .object(let value): return value
        case .batch(let items): return .array(items)
        case nil: return .string(String(decoding: body, as: UTF8.self))
        }
    }
}
