import KubeAPI

extension ImageReference {
    /// The kubelet's waiting message for an image it cannot parse (`EnsureImageExists`: `Failed to apply
    /// default image tag %q: %v`, the error being ParseImageName's `couldn't parse image name %q: %v`).
    /// The grammar itself lives in KubeAPI, shared with the glue.
    static func invalidImageNameMessage(_ image: String) -> String? {
        guard case .failure(let error) = parse(image) else { return nil }
        return "Failed to apply default image tag \(GoQuote.quote(image)): couldn't parse image name \(GoQuote.quote(image)): \(error)"
    }
}
