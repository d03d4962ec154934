import JSONValue

/// An error answered in the upstream envelope: HTTP status = `code`, `meta.result_subcode` = `subcode`.
/// Messages follow upstream's `"<text>: k=v, ..."` shape (apierrors/errors.conf) so clients that match on
/// the text keep working.
struct APIError: Error, Sendable, Equatable {
    var code: Int
    var subcode: Int
    var message: String
    var data: JSONValue

    init(_ code: Int, _ subcode: Int, _ message: String, data: JSONValue = .object([:])) {
        self.code = code
        self.subcode = subcode
        self.message = message
        self.data = data
    }

    static func details(_ text: String, _ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? text : text + ": " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
    }

    // 400 — bad request
    static func missingRequiredFields(_ fields: [String], endpoint: String) -> APIError {
        APIError(400, 11, details("Validation error (missing required fields)", [("fields", fields.joined(separator: ",")), ("endpoint", endpoint)]))
    }
    static func validation(_ reason: String) -> APIError {
        APIError(400, 12, "Validation error (\(reason))")
    }
    static func invalidJSON(_ reason: String) -> APIError {
        APIError(400, 0, "Invalid request body: \(reason)")
    }
    static let batchContainsNoItems = APIError(400, 17, "Batch request contains no items")
    static func invalidTaskID(_ id: String, company: String) -> APIError {
        APIError(400, 101, details("Invalid task id", [("id", id), ("company", company)]))
    }
    static func invalidTaskStatus(_ reason: String) -> APIError {
        APIError(400, 110, "Invalid task status (\(reason))")
    }
    static func taskStatusChangedConcurrently(_ id: String) -> APIError {
        APIError(400, 121, details("Task status changed concurrently", [("id", id)]))
    }
    static func eventsNotAdded(_ errors: [String: Int]) -> APIError {
        APIError(400, 131, "Events not added", data: .object(["errors": .object(errors.mapValues { .int(Int64($0)) })]))
    }
    static func invalidQueueID(_ id: String, company: String) -> APIError {
        APIError(400, 701, details("Invalid queue id", [("id", id), ("company", company)]))
    }
    static func taskNotInQueue(task: String, queue: String, company: String) -> APIError {
        APIError(400, 703, details("Invalid queue id or task not in queue", [("task", task), ("id", queue), ("company", company)]))
    }
    static func entryAlreadyInQueue(task: String, queue: String) -> APIError {
        APIError(400, 706, details("Entry already in queue", [("task", task), ("queue", queue)]))
    }
    static let noDefaultQueue = APIError(400, 707, "No queue is tagged as the default queue for this company")
    static func invalidProjectID(_ id: String) -> APIError {
        APIError(400, 401, details("Invalid project id", [("id", id)]))
    }
    static func projectExists(_ name: String) -> APIError {
        APIError(400, 403, details("Project with the same name already exists", [("name", name)]))
    }
    static func invalidWorker(_ worker: String) -> APIError {
        APIError(400, 800, details("Invalid worker id", [("worker", worker)]))
    }
    static func queueNameExists(_ name: String) -> APIError {
        APIError(400, 801, details("Queue with this name already exists", [("name", name)]))
    }

    // 401 — authentication
    static let missingCredentials = APIError(401, 20, "Unauthorized (missing credentials)")
    static let malformedBasic = APIError(401, 21, "Unauthorized (malformed basic authorization)")
    static let invalidCredentials = APIError(401, 22, "Unauthorized (invalid credentials)")
    static func invalidToken(_ reason: String) -> APIError { APIError(401, 30, "Unauthorized (invalid token): \(reason)") }
    static let badAuthType = APIError(401, 10, "Unauthorized (bad authentication header type)")

    // others
    static func endpointNotFound(_ name: String, version: String) -> APIError {
        APIError(404, 0, "Unable to find endpoint for name \(name) and version \(version)")
    }
    static func invalidPath(_ path: String) -> APIError {
        APIError(404, 0, "Invalid request path \(path)")
    }
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(413, 0, "Request body too large (limit \(limit) bytes)")
    }
    static let contentEncodingNotSupported = APIError(415, 0, "Content encoding is not supported")
    static func internalError(_ reason: String) -> APIError { APIError(500, 0, "Internal error: \(reason)") }
}
