import Foundation
import JSONValue
import KubeAPI

/// Create-time defaulting of Services, Deployments, ReplicaSets and PodDisruptionBudgets, as the
/// apiserver's defaulters and registry strategies fill them in (k8s pkg/apis/apps/v1/defaults.go,
/// pkg/apis/core/v1/defaults.go `SetDefaults_Service`/`SetDefaults_PodSpec`/`SetDefaults_Container`,
/// pkg/registry/*/strategy.go `PrepareForCreate`: status reset, generation 1).
enum WorkloadDefaults {
    static func apply(_ object: JSONValue, type: ResourceType) -> JSONValue {
        var object = object
        if ResourceType.generationTracked.contains(type) { object[path: "metadata", "generation"] = 1 }
        switch type {
        case .deployments:
            object = defaultedSpec(object, [("replicas", 1), ("revisionHistoryLimit", 10), ("progressDeadlineSeconds", 600)])
            if object[path: "spec", "strategy", "type"] == nil { object[path: "spec", "strategy", "type"] = "RollingUpdate" }
            if object[path: "spec", "strategy", "type"]?.stringValue == "RollingUpdate" {
                for key in ["maxUnavailable", "maxSurge"] where object[path: "spec", "strategy", "rollingUpdate", key] == nil {
                    object[path: "spec", "strategy", "rollingUpdate", key] = "25%"
                }
            }
            object = defaultedTemplate(object)
            object["status"] = [:]
        case .replicaSets:
            object = defaultedTemplate(defaultedSpec(object, [("replicas", 1)]))
            object["status"] = ["replicas": 0]
        case .services:
            object = service(object)
        case .podDisruptionBudgets:
            object["status"] = ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0]
        default: break
        }
        return object
    }

    private static func defaultedSpec(_ object: JSONValue, _ values: [(String, JSONValue)]) -> JSONValue {
        var object = object
        for (key, value) in values where object[path: "spec", key] == nil { object[path: "spec", key] = value }
        return object
    }

    /// `SetDefaults_PodSpec` and `SetDefaults_Container` on `spec.template.spec`; what only admission adds to
    /// pods (service account, tolerations, priority) stays out of templates, as on a real server.
    static func defaultedTemplate(_ object: JSONValue) -> JSONValue {
        guard var spec = object[path: "spec", "template", "spec"], spec != .null else { return object }
        for (key, value) in [
            ("restartPolicy", JSONValue.string("Always")), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
            ("schedulerName", "default-scheduler"), ("securityContext", [:]),
        ] where spec[key] == nil {
            spec[key] = value
        }
        for group in ["initContainers", "containers"] {
            guard let containers = spec[group]?.arrayValue else { continue }
            spec[group] = .array(containers.map { container in
                var container = container
                if container["terminationMessagePath"] == nil { container["terminationMessagePath"] = "/dev/termination-log" }
                if container["terminationMessagePolicy"] == nil { container["terminationMessagePolicy"] = "File" }
                if container["resources"] == nil { container["resources"] = [:] }
                if container["imagePullPolicy"] == nil {
                    let image = container["image"]?.stringValue ?? ""
                    let last = image.split(separator: "/").last.map(String.init) ?? ""
                    let tag = last.contains(":") ? String(last.split(separator: ":").last ?? "") : ""
                    container["imagePullPolicy"] = .string(tag.isEmpty || tag == "latest" ? "Always" : "IfNotPresent")
                }
                return container
            })
        }
        var object = object
        object[path: "spec", "template", "spec"] = spec
        return object
    }

    /// A ClusterIP from 10.96.0.0/16 (the default service CIDR) unless one is given or it is headless;
    /// the single-stack and traffic-policy defaults; each port's protocol and targetPort.
    static func service(_ object: JSONValue) -> JSONValue {
        var object = object
        let type = object[path: "spec", "type"]?.stringValue ?? "ClusterIP"
        object[path: "spec", "type"] = .string(type)
        if type != "ExternalName" {
            let given = object[path: "spec", "clusterIP"]?.stringValue ?? ""
            let ip = given.isEmpty ? "10.96.\(Int.random(in: 1...254)).\(Int.random(in: 1...254))" : given
            object[path: "spec", "clusterIP"] = .string(ip)
            object[path: "spec", "clusterIPs"] = [.string(ip)]
            for (key, value) in [("sessionAffinity", JSONValue.string("None")), ("ipFamilies", ["IPv4"]), ("ipFamilyPolicy", "SingleStack"),
                                 ("internalTrafficPolicy", "Cluster")] where object[path: "spec", key] == nil {
                object[path: "spec", key] = value
            }
        }
        if let ports = object[path: "spec", "ports"]?.arrayValue {
            object[path: "spec", "ports"] = .array(ports.map { port in
                var port = port
                if port["protocol"] == nil { port["protocol"] = "TCP" }
                if port["targetPort"] == nil { port["targetPort"] = port["port"] ?? 0 }
                return port
            })
        }
        object["status"] = ["loadBalancer": [:]]
        return object
    }
}
