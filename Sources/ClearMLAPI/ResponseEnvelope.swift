import Foundation
import JSONValue

/// `{"meta": {...}, "data": {...}}`: every ClearML answer, success or error.
struct ResponseEnvelope: Sendable {
    var code: Int
    var subcode: Int
    var message: String
    var data: JSONValue

    /// Nil when the body is not an envelope at all.
    init?(body: Data) {
        guard let value = try? JSONValue.decode(body), let meta = value["meta"],
              let code = meta["result_code"]?.intValue else { return nil }
        self.code = Int(code)
        self.subcode = Int(meta["result_subcode"]?.intValue ?? 0)
        self.message = meta["result_msg"]?.stringValue ?? ""
        self.data = value["data"] ?? [:]
    }
}
