import JSONValue

/// The upstream response envelope (`service_repo/apicall.py get_response`): HTTP status == `meta.result_code`.
enum Envelope {
    struct Meta: Sendable {
        var id: String
        var trx: String
        var endpoint: String
        var requestedVersion: String
        /// nil when no implementation matched (upstream answers `null` then).
        var actualVersion: String?
    }

    static func success(_ data: JSONValue, meta: Meta) -> Dispatcher.Outcome {
        render(code: 200, subcode: 0, message: "OK", data: data, errorData: .object([:]), stack: "", meta: meta)
    }

    static func error(_ error: APIError, meta: Meta, stack: String = "") -> Dispatcher.Outcome {
        render(code: error.code, subcode: error.subcode, message: error.message, data: .object([:]),
               errorData: error.data, stack: stack, meta: meta)
    }

    private static func render(
        code: Int, subcode: Int, message: String, data: JSONValue, errorData: JSONValue, stack: String, meta: Meta
    ) -> Dispatcher.Outcome {
        let envelope: JSONValue = [
            "meta": [
                "id": .string(meta.id),
                "trx": .string(meta.trx),
                "endpoint": [
                    "name": .string(meta.endpoint),
                    "requested_version": .string(meta.requestedVersion),
                    "actual_version": JSONValue(meta.actualVersion),
                ],
                "result_code": .int(Int64(code)),
                "result_subcode": .int(Int64(subcode)),
                "result_msg": .string(message),
                "error_stack": .string(stack),
                "error_data": errorData,
            ],
            "data": data,
        ]
        return Dispatcher.Outcome(status: code, body: envelope.encodedBytes(), setCookie: nil)
    }
}
