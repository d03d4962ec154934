import GRDB
import JSONValue

enum ProjectStore {
    static func project(_ db: Database, id: String) throws -> JSONValue? {
        try db.document(sql: "SELECT doc FROM projects WHERE id = ?", arguments: [id])
    }

    static func all(_ db: Database) throws -> [JSONValue] {
        try db.documents(sql: "SELECT doc FROM projects ORDER BY rowid")
    }
}

/// `projects.create/get_all/get_by_id`: what the SDK needs to file tasks under a project name.
enum ProjectEndpoints {
    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "projects.create", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let name = try call.requiredString("name")
                guard name.count >= 3 else {
                    throw APIError(400, 800, "Data validation error: name must be at least 3 characters long")
                }
                let description = try call.string("description") ?? ""
                let tags = try call.stringList("tags") ?? []
                let systemTags = try call.stringList("system_tags") ?? []
                let identity = call.identity
                let now = call.nowString
                return try await state.store.write { db in
                    if try String.fetchOne(db, sql: "SELECT id FROM projects WHERE name = ?", arguments: [name]) != nil {
                        throw APIError.projectExists(name)
                    }
                    let id = Identifiers.make()
                    let project: JSONValue = [
                        "id": .string(id), "name": .string(name), "basename": .string(String(name.split(separator: "/").last ?? "")),
                        "description": .string(description), "user": .string(identity.user),
                        "company": .string(identity.company), "created": .string(now), "last_update": .string(now),
                        "tags": JSONValue(tags), "system_tags": JSONValue(systemTags), "default_output_destination": "",
                        "featured": 9999, "path": [],
                    ]
                    try db.execute(sql: "INSERT INTO projects(id, name, doc) VALUES (?, ?, ?)",
                                   arguments: [id, name, project.encodedString()])
                    return ["id": .string(id)]
                }
            },
            Endpoint(name: "projects.get_by_id", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let id = try call.requiredString("project")
                return try await state.store.read { db in
                    guard let project = try ProjectStore.project(db, id: id) else { throw APIError.invalidProjectID(id) }
                    return ["project": project]
                }
            },
            Endpoint(name: "projects.get_all", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let query = try ListQuery(call)
                let projects = try await state.store.read { db in try ProjectStore.all(db) }
                let hiddenOK = try call.bool("search_hidden") || query.ids != nil
                let matched = try projects.filter { project in
                    if !hiddenOK, project["system_tags"]?.stringList?.contains("hidden") == true { return false }
                    return try query.matches(project)
                }
                return ["projects": .array(query.page(query.sort(matched)).map(query.project))]
            },
        ]
    }
}
