"""`helm install`, `upgrade` and `uninstall` of charts/clearml-glue with the real helm 3 and helm 4 into the
embedded cluster, which enforces RBAC. The glue runs as the chart's Deployment pod (a local process running
$GLUE_BIN), configured in-cluster from its projected ServiceAccount token, under the chart's Role; a task enqueued
with the real clearml SDK completes; an upgrade rolls the glue; uninstall stops the glue first (the pre-delete
hook) and leaves nothing of the release."""
import json
import subprocess

import pytest
import yaml

import helm_tools
from helm_support import wait_for_task_pod_gone, CHART, Helm, enqueue, free_port, wait_for, wait_for_task

RELEASE = "glue"


@pytest.fixture(params=sorted(helm_tools.TOOLS))
def helm(request, tools, cluster, tmp_path_factory):
    return Helm(request.param, tools[request.param]["helm"], cluster, tmp_path_factory.mktemp(request.param + "-home"))


def chart_values(staged, server, queue, metrics_port):
    """What a user sets (server addresses, keys, queue) plus what running on the embedded cluster needs: the
    binary as the containers' command, the agent binary's path for the init container, task pods that use the
    machine's python, and a free metrics port (pods share the host's network)."""
    return {
        "clearml": {"agentk8sglueKey": server.access_key, "agentk8sglueSecret": server.secret_key},
        "agentk8sglue": {
            "command": [staged["glue"]],
            "extraArgs": [f"--agent-binary-path={staged['glue']}", "--reconcile-interval=2"],
            "apiServerUrlReference": server.url, "webServerUrlReference": server.url, "fileServerUrlReference": server.url,
            "queue": queue, "createQueueIfNotExists": True,
            "leaderElection": {"enabled": True},
            "logging": {"format": "text", "level": "info"},
            "terminationGracePeriodSeconds": 10,
            "basePodTemplate": {"env": [
                {"name": "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", "value": "1"},
                {"name": "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL", "value": staged["python"]},
            ]},
        },
        "metrics": {"port": metrics_port},
        "teardown": {"command": [staged["kubectl"]], "extraWaitSeconds": 30},
    }


def write(tmp_path, values, name):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(values))
    return str(path)


def glue_pods(cluster, namespace):
    pods = cluster.json("get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=controller")["items"]
    return [p for p in pods if p["metadata"].get("deletionTimestamp") is None]


def release_objects(cluster, namespace):
    """Everything left in the namespace that belongs to the release or came from it."""
    kinds = "deployments,replicasets,pods,services,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,jobs,poddisruptionbudgets"
    items = cluster.json("get", kinds, "-n", namespace)["items"]
    return [f"{o['kind']}/{o['metadata']['name']}" for o in items
            if o["metadata"]["name"] not in ("default", "kube-root-ca.crt")]


def diagnostics(cluster, namespace):
    """What to look at when a step fails: the pods, recent events and the glue's log."""
    parts = [cluster.kubectl("get", "pods,deployments,replicasets,jobs", "-n", namespace, "-o", "wide", check=False).stdout,
             cluster.kubectl("get", "events", "-n", namespace, "--sort-by=.lastTimestamp", check=False).stdout[-4000:]]
    for pod in cluster.json("get", "pods", "-n", namespace)["items"]:
        for container in pod["spec"]["containers"]:
            restarted = any(s.get("restartCount") for s in pod["status"].get("containerStatuses", []))
            parts.append(f"--- {pod['metadata']['name']}/{container['name']}\n" + cluster.kubectl(
                "logs", "-n", namespace, pod["metadata"]["name"], "-c", container["name"], "--tail=40",
                *(["--previous"] if restarted else []), check=False).stdout)
    return "\n".join(parts)


def test_helm_install_run_task_upgrade_uninstall_in_cluster(helm, cluster, server, staged, tmp_path):
    namespace = f"glue-{helm.name}"
    try:
        run_scenario(helm, cluster, server, staged, tmp_path, namespace)
    except AssertionError as error:
        raise AssertionError(f"{error}\n\n{diagnostics(cluster, namespace)}") from None


def run_scenario(helm, cluster, server, staged, tmp_path, namespace):
    fullname = f"{RELEASE}-clearml-glue"
    account = f"system:serviceaccount:{namespace}:{fullname}"
    queue, second = f"{helm.name}-tasks", f"{helm.name}-more"
    values = chart_values(staged, server, queue, free_port())
    path = write(tmp_path, values, "values.yaml")

    helm.run("install", RELEASE, str(CHART), "--namespace", namespace, "--create-namespace", "-f", path, "--wait", "--timeout", "120s")
    # Helm 3 waits on the new ReplicaSet, Helm 4 (kstatus) on the Deployment's status; both are written by the
    # cluster's Deployment controller.
    wait_for(lambda: (lambda d: d["status"].get("availableReplicas") == 1 and d["status"].get("observedGeneration") == d["metadata"]["generation"])(
        cluster.json("get", "deployment", fullname, "-n", namespace)), timeout=30, message="Deployment available")
    (pod,) = glue_pods(cluster, namespace)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == fullname
    mounts = spec["containers"][0]["volumeMounts"]
    assert any(m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount" and m["readOnly"] for m in mounts), mounts
    token_volume = next(v for v in spec["volumes"] if v["name"].startswith("kube-api-access-"))
    assert [list(s)[0] for s in token_volume["projected"]["sources"]] == ["serviceAccountToken", "configMap", "downwardAPI"]

    # A task from the SDK runs through the in-cluster glue.
    task_id = enqueue(server, tmp_path / "sdk", queue, f"{helm.name}-first")
    status, task = wait_for_task(server, task_id)
    assert status == "completed", (status, task.get("status_message"), task.get("status_reason"))
    # The glue called the API as its ServiceAccount (its projected token, in-cluster configuration), and RBAC never
    # refused it: the chart's Role covers what it does.
    calls = cluster.requests(user=account)
    assert any(method == "POST" and path.split("?")[0].endswith(f"/namespaces/{namespace}/pods") and "dryRun" not in path and code == 201 for method, path, code, _ in calls), calls[-20:]
    assert not [c for c in calls if c[2] == 403], [c for c in calls if c[2] == 403]
    lease = cluster.json("get", "lease", fullname, "-n", namespace)
    assert lease["spec"]["holderIdentity"].startswith(pod["metadata"]["name"]), lease["spec"]
    assert lease["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"

    # helm upgrade: maxPods and a second queue; the glue rolls (Recreate: the old pod has gone before the new one runs).
    values["agentk8sglue"]["maxPods"] = 2
    values["agentk8sglue"]["queues"] = {second: {"maxPods": 1}}
    helm.run("upgrade", RELEASE, str(CHART), "--namespace", namespace, "-f", write(tmp_path, values, "upgrade.yaml"), "--wait", "--timeout", "120s")
    (rolled,) = wait_for(lambda: (lambda pods: pods if len(pods) == 1 and pods[0]["metadata"]["name"] != pod["metadata"]["name"] else None)(glue_pods(cluster, namespace)),
                         timeout=60, message="one new glue pod")
    args = rolled["spec"]["containers"][0]["args"]
    assert "--max-pods=2" in args and f"--queue={queue},{second}" in args, args
    sets = cluster.json("get", "replicasets", "-n", namespace)["items"]
    assert sorted(s["spec"]["replicas"] for s in sets) == [0, 1]
    assert cluster.json("get", "deployment", fullname, "-n", namespace)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    task_id = enqueue(server, tmp_path / "sdk", second, f"{helm.name}-second-queue")
    status, task = wait_for_task(server, task_id)
    assert status == "completed", (status, task.get("status_message"))
    wait_for_task_pod_gone(cluster, namespace, task_id)

    # helm uninstall: the pre-delete hook stops the glue while its Role still exists, so it releases the Lease;
    # then Helm deletes the release's objects (the Lease with them) and the hook's own.
    watcher = subprocess.Popen([cluster.kubectl_path, "--kubeconfig", cluster.kubeconfig, "get", "lease", fullname, "-n", namespace,
                                "--watch", "--output-watch-events", "-o", "json"], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: [c for c in cluster.requests(user="devcluster-admin") if "/leases" in c[1] and "watch=true" in c[1]],
             timeout=10, interval=0.1, message="the Lease watch started")
    log_mark = cluster.log_length()
    helm.run("uninstall", RELEASE, "--namespace", namespace, "--wait", "--timeout", "120s")
    wait_for(lambda: not release_objects(cluster, namespace), timeout=60, message="no object of the release left")
    watcher.terminate()
    events = [json.loads(doc) for doc in _split_json(watcher.communicate(timeout=10)[0])]
    holders = [(e["type"], e["object"]["spec"].get("holderIdentity", "")) for e in events]
    assert ("MODIFIED", "") in holders and holders[-1][0] == "DELETED", holders
    assert holders.index(("MODIFIED", "")) < len(holders) - 1, "the Lease was released before it was deleted"
    after = cluster.requests(since=log_mark)
    hook = f"system:serviceaccount:{namespace}:{fullname}-teardown"
    assert [c for c in after if c[3] == hook and c[0] == "DELETE" and "/deployments/" in c[1] and c[2] == 200], after
    assert not [c for c in after if c[3] in (hook, account) and c[2] == 403], [c for c in after if c[2] == 403]
    status = helm.run("status", RELEASE, "--namespace", namespace, check=False)
    assert status.returncode != 0 and "not found" in status.stderr, status.stdout + status.stderr


def _split_json(text):
    """`kubectl get -w -o json` prints one indented document per event."""
    decoder = json.JSONDecoder()
    index, documents = 0, []
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        value, end = decoder.raw_decode(text, index)
        documents.append(json.dumps(value))
        index = end
    return documents


def test_helm_service_monitor_without_its_crd_fails_cleanly(helm, cluster, server, staged, tmp_path):
    """As on a real cluster without prometheus-operator: the install stops before creating anything, naming the
    missing kind."""
    namespace = f"monitor-{helm.name}"
    values = chart_values(staged, server, "unused", free_port())
    values["metrics"]["serviceMonitor"] = {"enabled": True}
    result = helm.run("install", "mon", str(CHART), "--namespace", namespace, "--create-namespace", "-f", write(tmp_path, values, "v.yaml"), check=False)
    assert result.returncode != 0
    assert 'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"' in result.stderr, result.stderr
    assert "ensure CRDs are installed first" in result.stderr
    assert release_objects(cluster, namespace) == []
