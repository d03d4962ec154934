import KubeAPI

/// The task container's image: the task's, else its queue's, else the glue's default; checked against
/// the reference grammar a kubelet applies (distribution/reference, `KubeAPI.ImageReference`) before
/// anything is created. A reference the kubelet cannot parse would only leave the pod waiting
/// `InvalidImageName`; here it fails the task at once, naming where the reference came from.
enum ImageChoice {
    /// No valid reference comes near this (a 253-byte domain, a 255-byte path, a 128-byte tag, a digest);
    /// longer input is refused before the grammar's regular expressions see it.
    static let maximumLength = 4096

    static func image(for task: PodTask, queue: QueuePodSettings, settings: PodRenderSettings) throws(RenderError) -> String {
        let (image, source): (String, String)
        if let own = task.image, !own.isEmpty {
            (image, source) = (own, "fix the task's \(task.imageField)")
        } else if let queueImage = queue.defaultImage {
            (image, source) = (queueImage, "fix the queue's image in --queue-config")
        } else {
            (image, source) = (settings.defaultImage, "fix the glue's default image (CLEARML_DOCKER_IMAGE / agent.default_docker.image)")
        }
        if image.utf8.count > maximumLength {
            throw RenderError("invalid image reference \(RenderError.shown(image, limit: 100)) (longer than \(maximumLength) bytes); \(source)")
        }
        if case .failure(let error) = ImageReference.parse(image) {
            throw RenderError("invalid image reference \(RenderError.shown(image)) (\(error)); \(source)")
        }
        return image
    }
}
