import ClearMLConfig
import JSONValue

extension PodTask {
    /// The task fields the renderer reads, for one `tasks.get_all` call.
    public static let documentFields = ["id", "name", "parent", "status", "container", "execution.docker_cmd"]

    /// Reads the task's container (`container`, or `execution.docker_cmd` on servers older than API 2.13).
    /// A container section that is not what ClearML stores is this task's error, not the glue's.
    public init(document: JSONValue, queueID: String, queueName: String) throws(RenderError) {
        let id = document["id"]?.stringValue ?? ""
        self.init(id: id, parentID: document["parent"]?.stringValue, queueID: queueID, queueName: queueName)
        if let container = document["container"], container != .null, container != [:] {
            guard container.objectValue != nil else {
                throw RenderError("task \(id): its container section is not a mapping of image/arguments/setup_shell_script; fix it in the task's Execution tab")
            }
            image = try Self.text(container["image"], field: "container.image", task: id)
            setupShellScript = try Self.text(container["setup_shell_script"], field: "container.setup_shell_script", task: id)
            switch container["arguments"] {
            case .array(let words)?:
                dockerArguments = ShellWords.join(words.compactMap(\.stringValue))
            case let other?:
                dockerArguments = try Self.text(other, field: "container.arguments", task: id)
            case nil:
                break
            }
        } else if let command = document.value(at: "execution.docker_cmd")?.stringValue, !command.isEmpty {
            let words: [String]
            do { words = try ShellWords.split(command) } catch {
                throw RenderError("task \(id): execution.docker_cmd cannot be parsed (\(error)); fix the quoting")
            }
            image = words.first
            if words.count > 1 { dockerArguments = ShellWords.join(Array(words.dropFirst())) }
        }
        if let image, image.contains(where: { $0.isWhitespace }) {
            throw RenderError("task \(id): container image '\(image)' contains whitespace; put docker arguments in container.arguments")
        }
    }

    private static func text(_ value: JSONValue?, field: String, task: String) throws(RenderError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw RenderError("task \(task): \(field) must be text")
        }
    }
}
