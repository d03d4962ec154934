/// Whether an image can run what the agent mode puts in the pod, as far as its name tells. The
/// injected agent carries everything it needs, but the pod's start script is `bash`; the Python mode
/// also needs python3 and pip in the image. Images known to lack them get a warning at start, so a
/// default image that cannot run a task is named before any task fails on it.
public enum ImageFit {
    /// Image families that ship without `/bin/bash`.
    static let withoutBash = ["alpine", "busybox", "distroless", "scratch", "static"]

    /// A warning about `image` under `mode`, or nil when nothing is known against it.
    public static func warning(image: String, mode: AgentMode) -> String? {
        guard mode != .imageEntrypoint else { return nil }
        let name = image.lowercased().split(separator: "@").first.map(String.init) ?? image.lowercased()
        let path = name.split(separator: "/").last.map(String.init) ?? name
        let repository = path.split(separator: ":").first.map(String.init) ?? path
        let tag = path.split(separator: ":").dropFirst().first.map(String.init) ?? ""
        let family = withoutBash.first { repository == $0 || repository.hasSuffix("-" + $0) || tag.contains($0) || name.contains("distroless") }
        if let family {
            return "the task image '\(image)' looks like a \(family) image without /bin/bash, which the pod's start script needs: "
                + "use an image with bash (e.g. a Debian/Ubuntu based one) or install bash in it, or run it with --agent-mode image-entrypoint"
        }
        return nil
    }
}
