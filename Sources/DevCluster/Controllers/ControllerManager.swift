import Foundation
import KubeAPI

/// The controllers of kube-controller-manager this cluster runs besides the Job controller: Deployments,
/// ReplicaSets, the garbage collector and the root-CA publisher, started and stopped together.
final class ControllerManager: Sendable {
    private let deployments: DeploymentController
    private let replicaSets: ReplicaSetController
    private let garbageCollector: GarbageCollector
    private let rootCA: RootCAPublisher

    init(store: ObjectStore, kubelet: Kubelet, caCertificatePath: String) {
        deployments = DeploymentController(store: store)
        replicaSets = ReplicaSetController(store: store, kubelet: kubelet)
        garbageCollector = GarbageCollector(store: store, kubelet: kubelet)
        rootCA = RootCAPublisher(store: store, caCertificatePath: caCertificatePath)
    }

    func start() async {
        await rootCA.start()
        await garbageCollector.start()
        await replicaSets.start()
        await deployments.start()
    }

    func stop() {
        deployments.stop()
        replicaSets.stop()
        garbageCollector.stop()
        rootCA.stop()
    }
}
