"""deploy/ as its README says to use it, with the real kubectl (1.33, its built-in kustomize) against the
RBAC-enforcing embedded cluster: the namespace, then the credentials Secret, then `kubectl apply -k` of an overlay
(what a user's changes look like: server addresses, queue; here also the binary as the command). The glue runs
in-cluster under deploy/rbac.yaml's Role, a task from the real clearml SDK completes, and the documented teardown
stops the glue before `kubectl delete -k` removes its Role, leaving the namespace and the user's Secret."""
import os

import yaml

from helm_support import wait_for_task_pod_gone, ROOT, enqueue, free_port, wait_for, wait_for_task

DEPLOY = ROOT / "deploy"
NAMESPACE = "clearml"


def overlay(tmp_path, staged, server, queue):
    deployment = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    args = [a for a in container["args"] if not a.startswith(("--queue=", "--metrics-address="))]
    args += [f"--queue={queue}", f"--metrics-address=0.0.0.0:{free_port()}", "--create-queue",
             f"--agent-binary-path={staged['glue']}"]
    env = [{"name": name, "value": server.url} for name in ("CLEARML_API_HOST", "CLEARML_WEB_HOST", "CLEARML_FILES_HOST")]
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "clearml-glue", "namespace": NAMESPACE},
             "spec": {"template": {"spec": {"containers": [
                 {"name": "k8s-glue", "command": [staged["glue"]], "args": args, "env": env}]}}}}
    configmap = yaml.safe_load((DEPLOY / "configmap.yaml").read_text())
    template = yaml.safe_load(configmap["data"]["template.yaml"])
    template["spec"]["containers"][0]["env"] = [
        {"name": "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", "value": "1"},
        {"name": "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL", "value": staged["python"]},
    ]
    configmap_patch = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "clearml-glue-pt", "namespace": NAMESPACE},
                       "data": {"template.yaml": yaml.safe_dump(template)}}
    folder = tmp_path / "overlay"
    folder.mkdir()
    (folder / "deployment-patch.yaml").write_text(yaml.safe_dump(patch))
    (folder / "configmap-patch.yaml").write_text(yaml.safe_dump(configmap_patch))
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(DEPLOY, folder)],
        "patches": [{"path": "deployment-patch.yaml"}, {"path": "configmap-patch.yaml"}],
    }))
    return folder


def test_deploy_kustomize_runs_a_task_in_cluster_and_tears_down_in_order(cluster, server, staged, tmp_path):
    account = f"system:serviceaccount:{NAMESPACE}:clearml-glue"
    cluster.kubectl("apply", "-f", str(DEPLOY / "namespace.yaml"))
    cluster.kubectl("-n", NAMESPACE, "create", "secret", "generic", "clearml-glue-ac",
                    f"--from-literal=agentk8sglue_key={server.access_key}", f"--from-literal=agentk8sglue_secret={server.secret_key}",
                    f"--from-literal=CLEARML_API_ACCESS_KEY={server.access_key}", f"--from-literal=CLEARML_API_SECRET_KEY={server.secret_key}")
    folder = overlay(tmp_path, staged, server, "deploy-tasks")
    applied = cluster.kubectl("apply", "-k", str(folder)).stdout
    for line in ("serviceaccount/clearml-glue created", "role.rbac.authorization.k8s.io/clearml-glue created",
                 "configmap/clearml-glue-pt created", "deployment.apps/clearml-glue created", "service/clearml-glue-metrics created"):
        assert line in applied, applied
    cluster.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/clearml-glue", "--timeout=90s", timeout=120)
    # Applying the same overlay again changes nothing (client-side apply's three-way merge, strategic for the Deployment).
    again = cluster.kubectl("apply", "-k", str(folder)).stdout
    assert "deployment.apps/clearml-glue unchanged" in again, again

    task_id = enqueue(server, tmp_path / "sdk", "deploy-tasks", "deploy-kustomize")
    status, task = wait_for_task(server, task_id)
    assert status == "completed", (status, task.get("status_message"), cluster.kubectl("-n", NAMESPACE, "logs", "deploy/clearml-glue", check=False).stdout[-3000:])
    wait_for_task_pod_gone(cluster, NAMESPACE, task_id)
    calls = cluster.requests(user=account)
    assert calls and not [c for c in calls if c[2] == 403], [c for c in calls if c[2] == 403]

    # The documented teardown: the glue stops first (its pods gone), then the manifests go.
    cluster.kubectl("-n", NAMESPACE, "delete", "deployment", "clearml-glue", "--cascade=foreground", "--wait", "--timeout=90s", timeout=120)
    assert not cluster.json("get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=clearml-glue")["items"]
    cluster.kubectl("delete", "-k", str(folder), "--ignore-not-found")
    left = wait_for(lambda: (lambda items: items if all(i["kind"] != "Deployment" for i in items) else None)(
        cluster.json("get", "deployments,replicasets,pods,services,configmaps,secrets,serviceaccounts,roles,rolebindings", "-n", NAMESPACE)["items"]),
        timeout=30, message="the kustomization's objects deleted")
    assert sorted(f"{i['kind']}/{i['metadata']['name']}" for i in left) == [
        "ConfigMap/kube-root-ca.crt", "Secret/clearml-glue-ac", "ServiceAccount/default"]
    assert cluster.json("get", "namespace", NAMESPACE)["status"]["phase"] == "Active"
    assert not [c for c in cluster.requests(user=account) if c[2] == 403]
