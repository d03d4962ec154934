/// Every endpoint the server answers, by name. Anything else is upstream's 404 "Unable to find endpoint".
enum EndpointRegistry {
    static func all(_ state: ServerState) -> [String: Endpoint] {
        let groups: [[Endpoint]] = [
            AuthEndpoints.make(state),
            ProjectEndpoints.make(state),
            TaskEditEndpoints.make(state),
            TaskQueryEndpoints.make(state),
            TaskStatusEndpoints.make(state),
            TaskQueueingEndpoints.make(state),
            QueueEndpoints.make(state),
            QueueEntryEndpoints.make(state),
            WorkerEndpoints.make(state),
            EventEndpoints.make(state),
        ]
        var table: [String: Endpoint] = [:]
        for endpoint in groups.joined() { table[endpoint.name] = endpoint }
        return table
    }
}
