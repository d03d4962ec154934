import ClearMLConfig
import JSONValue

extension PodTask {
    /// The task fields the renderer reads, for one `tasks.get_all` call.
    public static let documentFields = ["id", "name", "parent", "status", "container", "execution.docker_cmd"]

    /// Reads the task's container (`container`, or `execution.docker_cmd` on servers older than API 2.13).
    /// A field that is not what ClearML stores is this task's error, not the glue's, and the error names
    /// the field. The image is trimmed, and an image field that also holds arguments (`img --env X=1`) is
    /// split as the clearml SDK's `set_base_docker` splits its `docker_cmd`: the first word is the image,
    /// the rest are the arguments when the task has none (clearml `backend_interface/task/task.py`;
    /// clearml-agent `commands/worker.py get_task_container` strips the image the same way).
    public init(document: JSONValue, queueID: String, queueName: String) throws(RenderError) {
        let id = document["id"]?.strictString ?? ""
        self.init(id: id, parentID: document["parent"]?.strictString, queueID: queueID, queueName: queueName)
        if let container = document["container"], container != .null, container != [:] {
            guard container.objectValue != nil else {
                throw RenderError("task \(RenderError.shown(id)): its container field is not a mapping of image/arguments/setup_shell_script; fix it in the task's Execution tab")
            }
            image = try Self.text(container["image"], field: "container.image", task: id)
            setupShellScript = try Self.text(container["setup_shell_script"], field: "container.setup_shell_script", task: id)
            switch container["arguments"] {
            case .array(let words)?:
                var texts: [String] = []
                for (index, word) in words.enumerated() {
                    guard let text = word.strictString else {
                        throw RenderError("task \(RenderError.shown(id)): container.arguments[\(index)] must be text; fix the task's container arguments")
                    }
                    texts.append(text)
                }
                dockerArguments = texts.isEmpty ? nil : ShellWords.join(texts)
            case let other?:
                dockerArguments = try Self.text(other, field: "container.arguments", task: id)
            case nil:
                break
            }
        } else if let command = document.value(at: "execution.docker_cmd"), command != .null {
            guard let text = command.strictString else {
                throw RenderError("task \(RenderError.shown(id)): execution.docker_cmd must be text; fix the task's container image")
            }
            let words: [String]
            do { words = try ShellWords.split(text) } catch {
                throw RenderError("task \(RenderError.shown(id)): execution.docker_cmd cannot be parsed (\(error)); fix the quoting")
            }
            image = words.first
            imageField = "execution.docker_cmd"
            if words.count > 1 { dockerArguments = ShellWords.join(Array(words.dropFirst())) }
        }
        splitImageAndArguments()
    }

    /// Upstream strips the image; words after it are docker arguments written into the image field.
    mutating func splitImageAndArguments() {
        guard let raw = image else { return }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let gap = trimmed.firstIndex(where: { $0.isWhitespace }) else {
            image = trimmed.isEmpty ? nil : trimmed
            return
        }
        image = String(trimmed[..<gap])
        let rest = trimmed[gap...].trimmingCharacters(in: .whitespacesAndNewlines)
        if dockerArguments?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            dockerArguments = rest
            notes.append("\(imageField) holds arguments after the image: image \(RenderError.shown(image ?? "")), arguments \(RenderError.shown(rest)) (as the clearml SDK splits them)")
        } else {
            notes.append("\(imageField): the words after the image, \(RenderError.shown(rest)), were ignored because container.arguments is set (as the clearml SDK does)")
        }
    }

    private static func text(_ value: JSONValue?, field: String, task: String) throws(RenderError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw RenderError("task \(RenderError.shown(task)): \(field) must be text; fix it in the task's Execution tab")
        }
    }
}
