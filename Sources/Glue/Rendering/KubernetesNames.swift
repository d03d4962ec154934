import Foundation
import Hashing

/// Names and label values that Kubernetes accepts, derived from ClearML ids and names.
public enum KubernetesNames {
    /// A label value as the upstream glue makes one (lower-case, non-word runs and `_` to `-`, trimmed,
    /// at most 63 characters), then trimmed again so a cut never leaves a trailing `-`, which
    /// Kubernetes would reject.
    public static func labelValue(_ raw: String) -> String {
        var text = raw.lowercased()
        text = text.replacingOccurrences(of: #"[^a-z0-9]+"#, with: "-", options: .regularExpression)
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        if text.count > 63 { text = String(text.prefix(63)) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    /// `<prefix><task id>` as a valid pod name (a DNS label, at most 63 characters so it also serves as
    /// the hostname). The task id is kept whole because it is the key a restarted glue finds the pod by;
    /// a prefix too long to fit is shortened.
    public static func podName(prefix: String, taskID: String) throws(RenderError) -> String {
        let id = taskID.lowercased()
        guard !id.isEmpty, id.count <= 63, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw RenderError("the task's id \(RenderError.shown(taskID)) cannot be part of a pod name: expected up to 63 letters and digits")
        }
        var head = prefix.lowercased().replacingOccurrences(of: #"[^a-z0-9-]+"#, with: "-", options: .regularExpression)
        while let first = head.first, !(first.isLetter || first.isNumber) { head.removeFirst() }
        let room = 63 - id.count
        if head.count > room { head = String(head.prefix(room)) }
        return head + id
    }

    /// `agent-<first 8 hex of md5(worker id)>`: the value of the `CLEARML` label that marks this glue's
    /// pods, identical to upstream so pods of an upstream glue with the same worker id are recognised.
    public static func agentLabel(workerID: String?) -> String {
        guard let workerID, !workerID.isEmpty else { return "agent" }
        return "agent-" + Digest.md5Hex(workerID).prefix(8)
    }
}
