"""The real kubectl against the embedded cluster, without --validate=false."""
import json
import subprocess
import textwrap
import threading


def manifest(name, command, extra=""):
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          labels: {{app: conformance}}
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 5
          containers:
          - name: main
            image: busybox:1.36
            command: {json.dumps(command)}
        {textwrap.indent(extra, "  ") if extra else ""}""")


def apply(kubectl, text):
    return kubectl.run("apply", "-f", "-", input=text)


def phase(kubectl, name):
    return kubectl.run("get", "pod", name, "-o", "jsonpath={.status.phase}", check=False).stdout


def test_kube_get_namespaces_and_nodes(kubectl):
    out = kubectl.run("get", "ns").stdout
    assert out.split("\n")[0].split() == ["NAME", "STATUS", "AGE"]
    assert "default" in out and "kube-system" in out
    assert "devcluster" in kubectl.run("get", "nodes").stdout
    assert kubectl.run("version", "-o", "json").returncode == 0


def test_kube_apply_wait_logs_describe_delete(kubectl):
    out = apply(kubectl, manifest("lifecycle", ["sh", "-c", "echo started; sleep 1; echo second; sleep 30"])).stdout
    assert "pod/lifecycle created" in out
    kubectl.run("wait", "--for=condition=Ready", "pod/lifecycle", "--timeout=20s")
    wide = kubectl.run("get", "pods", "-o", "wide").stdout
    header = wide.split("\n")[0].split()
    assert header[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] and "NODE" in header and "IP" in header
    row = [line for line in wide.splitlines() if line.startswith("lifecycle ")][0].split()
    assert row[1] == "1/1" and row[2] == "Running" and "devcluster" in row
    kubectl.wait_for(lambda: "second" in kubectl.run("logs", "lifecycle").stdout)
    described = kubectl.run("describe", "pod", "lifecycle").stdout
    assert "Events:" in described and "Scheduled" in described and "Started" in described
    assert "Successfully assigned default/lifecycle to devcluster" in described
    # Applying the same manifest again is a no-op patch, not an error.
    assert "unchanged" in apply(kubectl, manifest("lifecycle", ["sh", "-c", "echo started; sleep 1; echo second; sleep 30"])).stdout
    kubectl.run("delete", "pod", "lifecycle", "--timeout=20s")
    assert "NotFound" in kubectl.run("get", "pod", "lifecycle", check=False).stderr


def test_kube_logs_follow_ends_with_the_container(kubectl):
    apply(kubectl, manifest("follower", ["sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.3; done"]))
    kubectl.wait_for(lambda: phase(kubectl, "follower") in ("Running", "Succeeded"))
    out = kubectl.run("logs", "-f", "follower", timeout=20).stdout
    assert out.split() == ["tick", "1", "tick", "2", "tick", "3"]
    kubectl.run("delete", "pod", "follower")


class LineReader:
    """Reads a stream line by line on a thread (the pipe never fills) and lets a test await a line."""

    def __init__(self, stream):
        self.lines = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, predicate, timeout=20):
        with self.changed:
            if not self.changed.wait_for(lambda: any(predicate(line) for line in self.lines), timeout=timeout):
                raise AssertionError(f"no such line within {timeout}s: {self.lines}")


def test_kube_get_pods_watch_sees_phase_changes(kubectl):
    labelled = lambda name, command: manifest(name, command).replace("app: conformance", "app: conformance, watched: 'yes'")
    # kubectl lists, then watches from the list's resourceVersion: once a pod that exists before is printed,
    # every later change is certain to reach the watch, however late its request is.
    apply(kubectl, labelled("watched-marker", ["sleep", "60"]))
    watcher = subprocess.Popen(kubectl.cmd("get", "pods", "-w", "-l", "watched=yes"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_lines, err_lines = LineReader(watcher.stdout), LineReader(watcher.stderr)
    try:
        out_lines.wait_for(lambda line: line.startswith("watched-marker "))
        apply(kubectl, labelled("watched", ["sh", "-c", "sleep 1"]))
        out_lines.wait_for(lambda line: line.startswith("watched ") and line.split()[2] == "Completed", timeout=30)
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
        kubectl.run("delete", "pod", "watched-marker", "--wait=false", check=False)
    out = "\n".join(out_lines.lines + err_lines.lines)
    statuses = [line.split()[2] for line in out_lines.lines if line.startswith("watched ")]
    assert "Running" in statuses and "Completed" in statuses, out
    assert statuses.index("Running") < statuses.index("Completed")
    kubectl.run("delete", "pod", "watched")


def test_kube_init_container_shares_file_through_empty_dir(kubectl):
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: init-share}
        spec:
          restartPolicy: Never
          volumes: [{name: shared, emptyDir: {}}]
          initContainers:
          - name: writer
            image: busybox:1.36
            command: ["sh", "-c", "echo hello-from-init > /shared/greeting"]
            volumeMounts: [{name: shared, mountPath: /shared}]
          containers:
          - name: reader
            image: busybox:1.36
            command: ["cat", "/shared/greeting"]
            volumeMounts: [{name: shared, mountPath: /shared}]
        """)
    apply(kubectl, text)
    kubectl.wait_for(lambda: phase(kubectl, "init-share") == "Succeeded")
    assert kubectl.run("logs", "init-share", "-c", "reader").stdout.strip() == "hello-from-init"
    kubectl.run("delete", "pod", "init-share")


def test_kube_gpu_hungry_pod_stays_pending_unschedulable(kubectl):
    apply(kubectl, manifest("gpu-hungry", ["sleep", "10"], extra=""))
    kubectl.run("delete", "pod", "gpu-hungry")
    text = manifest("gpu-hungry", ["sleep", "10"]).replace(
        "command:", "resources: {limits: {nvidia.com/gpu: 4}}\n    command:")
    apply(kubectl, text)
    message = kubectl.wait_for(lambda: kubectl.run("get", "pod", "gpu-hungry", "-o", "jsonpath={.status.conditions[?(@.type=='PodScheduled')].message}").stdout)
    assert message == "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
    reason = kubectl.run("get", "pod", "gpu-hungry", "-o", "jsonpath={.status.conditions[?(@.type=='PodScheduled')].reason}").stdout
    assert reason == "Unschedulable" and phase(kubectl, "gpu-hungry") == "Pending"
    assert "FailedScheduling" in kubectl.run("describe", "pod", "gpu-hungry").stdout
    kubectl.run("delete", "pod", "gpu-hungry")


def test_kube_fail_image_pattern_shows_image_pull_back_off(kubectl):
    apply(kubectl, manifest("bad-image", ["true"]).replace("busybox:1.36", "registry.invalid/nothing:1"))
    kubectl.wait_for(lambda: "ImagePullBackOff" in kubectl.run("get", "pod", "bad-image").stdout)
    assert "Failed to pull image" in kubectl.run("describe", "pod", "bad-image").stdout
    kubectl.run("delete", "pod", "bad-image")


def test_kube_invalid_manifests_are_refused_with_the_field(kubectl):
    bad = apply_result = kubectl.run("apply", "-f", "-", check=False, input=manifest("Bad_Name", ["true"]))
    assert apply_result.returncode != 0 and "metadata.name: Invalid value" in bad.stderr
    unknown = kubectl.run("apply", "-f", "-", check=False, input=manifest("typo", ["true"]).replace("command:", "commandd:"))
    assert unknown.returncode != 0 and 'unknown field "spec.containers[0].commandd"' in unknown.stderr
    long_ns = kubectl.run("create", "namespace", "n" * 64, check=False)
    assert long_ns.returncode != 0 and "must be no more than 63 characters" in long_ns.stderr


def test_kube_auth_can_i(kubectl):
    assert kubectl.run("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert kubectl.run("auth", "can-i", "--list").stdout.split("\n")[1].split()[:2] == ["*.*", "[]"]


GLUE = "system:serviceaccount:clearml:clearml-glue"


def can_i(kubectl, *args):
    """`kubectl auth can-i` prints yes/no and exits 0/1."""
    return kubectl.run("auth", "can-i", *args, check=False).stdout.strip()


def test_kube_rbac_shipped_role_and_service_account_tokens(kubectl):
    """deploy/rbac.yaml applied, the glue's account gets exactly its Role: `auth can-i --as` (impersonation,
    SelfSubjectAccessReview) and `create token` (TokenRequest), then calls with that token, answered as a
    kube-apiserver answers (403 bodies from apiserver responsewriters/errors.go forbiddenMessage)."""
    root = __import__("pathlib").Path(__file__).resolve().parents[3]
    kubectl.run("apply", "-f", str(root / "deploy" / "namespace.yaml"), "-f", str(root / "deploy" / "rbac.yaml"))
    for verb, resource in [("list", "pods"), ("watch", "pods"), ("create", "pods"), ("delete", "pods"), ("create", "events"), ("list", "events")]:
        assert can_i(kubectl, verb, resource, "-n", "clearml", "--as", GLUE) == "yes", (verb, resource)
    for verb, resource in [("get", "pods"), ("patch", "pods"), ("patch", "events"), ("get", "secrets"), ("create", "leases"), ("create", "jobs")]:
        assert can_i(kubectl, verb, resource, "-n", "clearml", "--as", GLUE) == "no", (verb, resource)
    assert can_i(kubectl, "list", "pods", "-n", "default", "--as", GLUE) == "no"
    assert can_i(kubectl, "get", "pods", "--subresource=log", "-n", "clearml", "--as", GLUE) == "no"
    listed = kubectl.run("auth", "can-i", "--list", "-n", "clearml", "--as", GLUE).stdout
    assert "[list watch create delete]" in listed and "[create list]" in listed and "secrets" not in listed

    kubectl.run("apply", "-f", str(root / "deploy" / "optional" / "leader-election.yaml"))
    assert can_i(kubectl, "create", "leases", "-n", "clearml", "--as", GLUE) == "yes"
    assert can_i(kubectl, "update", "leases/clearml-glue", "-n", "clearml", "--as", GLUE) == "yes"
    assert can_i(kubectl, "update", "leases/other", "-n", "clearml", "--as", GLUE) == "no"
    kubectl.run("delete", "-f", str(root / "deploy" / "optional" / "leader-election.yaml"))
    assert can_i(kubectl, "create", "leases", "-n", "clearml", "--as", GLUE) == "no"

    token = kubectl.run("create", "token", "clearml-glue", "-n", "clearml").stdout.strip()
    assert token
    assert kubectl.run("--token", token, "get", "pods", "-n", "clearml").returncode == 0
    assert kubectl.run("--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout == GLUE
    denied = kubectl.run("--token", token, "get", "secrets", "-n", "clearml", check=False)
    assert denied.returncode != 0
    assert (f'secrets is forbidden: User "{GLUE}" cannot list resource "secrets" in API group "" '
            f'in the namespace "clearml"') in denied.stderr
    nodes = kubectl.run("--token", token, "get", "nodes", check=False)
    assert f'nodes is forbidden: User "{GLUE}" cannot list resource "nodes" in API group "" at the cluster scope' in nodes.stderr
    assert kubectl.run("--token", token, "api-resources", check=False).returncode == 0, "discovery is every user's"
    bogus = kubectl.run("--token", "not-a-token", "get", "pods", check=False)
    assert bogus.returncode != 0 and "Unauthorized" in bogus.stderr
    short = kubectl.run("create", "token", "clearml-glue", "-n", "clearml", "--duration=5m", check=False)
    assert "may not specify a duration less than 10 minutes" in short.stderr
