import Foundation
import JSONValue
import KubeAPI
import Logging

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: acquire when the lease
/// is free or its holder stopped renewing (judged by when *we* last saw it change, so clock skew does
/// not matter), renew every retry period, step down when renewing fails for the renew deadline, and
/// release on shutdown so the next replica takes over at once.
struct LeaderElector: Sendable {
    let kube: KubeClient
    let settings: LeaderElectionSettings
    let gate: LeadershipGate
    let metrics: GlueMetrics
    let health: Health
    let logger: Logger

    func run() async {
        var observed: (record: String, at: ContinuousClock.Instant)?
        var lastRenew: ContinuousClock.Instant?
        // The last time this replica knew the lease's state (held it, or read another holder's record).
        var lastKnown = ContinuousClock.now
        var failing = false
        while !Task.isCancelled {
            let leading = await gate.mayLaunch()
            do {
                let held = try await tryAcquireOrRenew(observed: &observed)
                lastKnown = .now
                if failing {
                    failing = false
                    await health.leaseFailing(nil)
                    logger.notice("lease calls work again", metadata: ["lease": "\(settings.namespace)/\(settings.leaseName)"])
                }
                if held {
                    lastRenew = .now
                    if !leading {
                        logger.notice("became the leader", metadata: ["lease": "\(settings.namespace)/\(settings.leaseName)", "identity": "\(settings.identity)"])
                        await gate.set(true)
                        metrics.leader.set(1.0)
                    }
                } else if leading {
                    await stepDown("another replica holds the lease")
                }
            } catch {
                var metadata: Logger.Metadata = ["lease": "\(settings.namespace)/\(settings.leaseName)", "error": "\(error)"]
                if let error = error as? KubeError, KubeAccess.isRBACDenial(error) {
                    metadata["missing_rule"] = "get, create and update leases (API group coordination.k8s.io) in namespace \(settings.namespace)"
                }
                logger.warning("lease update failed", metadata: metadata)
                if leading, let lastRenew, ContinuousClock.now - lastRenew > settings.renewDeadline {
                    await stepDown("could not renew the lease within \(settings.renewDeadline)")
                }
                if !failing, ContinuousClock.now - lastKnown > settings.leaseDuration {
                    failing = true
                    let why = "no lease call has worked for over \(settings.leaseDuration): \(error)"
                    logger.warning("not ready: leader election is failing", metadata: ["reason": "\(why)"])
                    await health.leaseFailing(why)
                }
            }
            try? await Task.sleep(for: settings.retryPeriod)
        }
        // The run was cancelled: release from a fresh task, whose calls are not cancelled with it.
        if await gate.mayLaunch() { await Task { await release() }.value }
    }

    private func stepDown(_ why: String) async {
        logger.warning("stopped leading", metadata: ["reason": "\(why)"])
        await gate.set(false)
        metrics.leader.set(0.0)
    }

    private func tryAcquireOrRenew(observed: inout (record: String, at: ContinuousClock.Instant)?) async throws -> Bool {
        let now = KubeTime.formatMicro(Date())
        let durationSeconds = Int(settings.leaseDuration.components.seconds)
        let lease: JSONValue
        do {
            lease = try await kube.get(.leases, namespace: settings.namespace, name: settings.leaseName)
        } catch let error as KubeError where error.kind == .notFound {
            let fresh: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(settings.leaseName), "namespace": .string(settings.namespace)],
                "spec": ["holderIdentity": .string(settings.identity), "leaseDurationSeconds": .int(Int64(durationSeconds)),
                         "acquireTime": .string(now), "renewTime": .string(now), "leaseTransitions": 0],
            ]
            do {
                _ = try await kube.create(.leases, namespace: settings.namespace, fresh)
                return true
            } catch let error as KubeError where error.kind == .alreadyExists { return false }
        }
        let spec = lease["spec"] ?? [:]
        let holder = spec["holderIdentity"]?.stringValue ?? ""
        let record = "\(holder)|\(spec["renewTime"]?.stringValue ?? "")"
        if observed?.record != record { observed = (record, .now) }
        let leaseDuration = Duration.seconds(spec["leaseDurationSeconds"]?.intValue ?? Int64(durationSeconds))
        let expired = holder.isEmpty || (observed.map { ContinuousClock.now - $0.at > leaseDuration } ?? true)
        guard holder == settings.identity || expired else { return false }

        var updated = lease
        updated[path: "spec", "holderIdentity"] = .string(settings.identity)
        updated[path: "spec", "leaseDurationSeconds"] = .int(Int64(durationSeconds))
        updated[path: "spec", "renewTime"] = .string(now)
        if holder != settings.identity {
            updated[path: "spec", "acquireTime"] = .string(now)
            updated[path: "spec", "leaseTransitions"] = .int((spec["leaseTransitions"]?.intValue ?? 0) + 1)
        }
        do {
            let saved = try await kube.replace(.leases, namespace: settings.namespace, updated)
            observed = ("\(settings.identity)|\(saved[path: "spec", "renewTime"]?.stringValue ?? now)", .now)
            return true
        } catch let error as KubeError where error.kind == .conflict {
            return false
        }
    }

    private func release() async {
        do {
            var lease = try await kube.get(.leases, namespace: settings.namespace, name: settings.leaseName)
            guard lease[path: "spec", "holderIdentity"]?.stringValue == settings.identity else { return }
            lease[path: "spec", "holderIdentity"] = .string("")
            lease[path: "spec", "leaseDurationSeconds"] = 1
            _ = try await kube.replace(.leases, namespace: settings.namespace, lease)
            logger.info("released the lease")
        } catch {
            logger.warning("could not release the lease; the next leader waits for it to expire", metadata: ["error": "\(error)"])
        }
        await gate.set(false)
        metrics.leader.set(0.0)
    }
}
