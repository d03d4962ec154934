"""A task whose image is glibc 2.31 completes end to end through the glue, on the embedded cluster.

`clearml-glue-dev cluster --image-root debian-bullseye-test:latest=<root>` gives that image the Debian 11 minbase root
(glibc 2.31, python3-minimal: what Ubuntu 20.04 images such as upstream's default task image have) that
test_portable_bundle.py uses, as a node would give it the unpacked image. `clearml-glue glue` runs against it and
`clearml-glue-dev server` in the default agent mode, injected: the init container (a host process: its image has no
root) copies the bundle that scripts/bundle made into the pod's emptyDir, and the task container runs inside the
bullseye root with that volume at /clearml-agent, where the start script execs the bundled `clearml-glue execute`.

A task made with the real clearml SDK (`Task.create(docker=...)`, as a user sets a task's image) reaches
`completed` with its console stored; the console shows glibc 2.31, the root's libc mapped, no LD_LIBRARY_PATH,
LD_PRELOAD or bundle path in the task's environment or memory map; the glue made one pod for it, whose task
container ran in that image, and deleted it; the pod's sandbox and its mounts are gone; the shared root is
unchanged (each container writes to its own overlay layer).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from portability_support import (BULLSEYE_PACKAGES, DIGESTS, PATH, REPO, assert_nothing_leaks, chroot, debootstrap_root,
                                 report_script_python, stored_console, task_report, tree_digest)

IMAGE = "debian-bullseye-test:latest"
NAMESPACE = "clearml"
QUEUE = "bullseye-root-q"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
ENQUEUE = """
import sys
from clearml import Task
task = Task.create(project_name="portability", task_name="bullseye-root", task_type="training", docker=sys.argv[2])
task.update_task({"script": {"entry_point": "report.py", "working_dir": ".", "binary": "python3", "diff": sys.stdin.read()}})
Task.enqueue(task, queue_name=sys.argv[1])
print(task.id)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, message, interval=0.3):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{message} not within {timeout} s (last: {last!r})")


def shared_folder(prefix):
    """A 0755 folder under the system temp folder: pod processes run as their users (the init container as
    10001) and must reach the staged bundle and the cluster's sandboxes; pytest's own folders are 0700."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


class Cluster:
    def __init__(self, data_dir, root):
        binary = os.environ["GLUE_DEV_BIN"]
        self.data_dir = data_dir
        self.stderr = open(data_dir / "cluster.stderr", "w")
        self.process = subprocess.Popen([binary, "cluster", "--port", "0", "--data-dir", str(data_dir), "--image-root", f"{IMAGE}={root}"],
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True, start_new_session=True)
        self.kubeconfig = None
        deadline = time.time() + 60
        while time.time() < deadline and self.kubeconfig is None:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                self.stderr.close()
                raise AssertionError(f"the cluster exited early: {(data_dir / 'cluster.stderr').read_text()[-3000:]}")
            if line.startswith("kubeconfig: "):
                self.kubeconfig = line.split(": ", 1)[1].strip()
        if not self.kubeconfig:
            self.stop()
            raise AssertionError("the cluster did not print its kubeconfig in 60 s")

    def kubectl(self, *args, input=None):
        result = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], capture_output=True, text=True, timeout=60, input=input)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json"))

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def start_glue(cluster, server, agent, folder):
    """`clearml-glue glue` as the embedded-cluster tests run it (GlueProcess.swift): injected agent mode, the
    bundle as what the init container copies, /metrics on a free port. Returns (process, port, log) at once."""
    template = folder / "template.yaml"
    template.write_text(yaml.safe_dump({"spec": {"terminationGracePeriodSeconds": 2, "containers": [{
        "name": "clearml-task",
        # python3-minimal has no venv module: the task runs on the image's interpreter as it is.
        "env": [{"name": "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", "value": "1"}]}]}}))
    port = free_port()
    log = open(folder / "glue.log", "w")
    env = {"HOME": str(folder), "PATH": os.environ.get("PATH", PATH), "CLEARML_API_HOST": server.url,
           "CLEARML_API_ACCESS_KEY": server.access_key, "CLEARML_API_SECRET_KEY": server.secret_key,
           "CLEARML_WORKER_ID": "glue-image-root", "CLEARML_AGENT_QUEUE_POLL_FREQ_SEC": "0.1"}
    process = subprocess.Popen(
        [os.environ["GLUE_BIN"], "glue", "--queue", QUEUE, "--namespace", NAMESPACE, "--kubeconfig", cluster.kubeconfig,
         "--template-yaml", str(template), "--credentials-secret", "clearml-credentials", "--agent-mode", "injected",
         "--agent-image", "clearml-glue:conformance", "--agent-binary-path", str(agent / "bin" / "clearml-glue"),
         "--metrics-address", f"127.0.0.1:{port}", "--reconcile-interval", "2", "--create-queue"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    return process, port, log


def glue_ready(process, port, folder):
    if process.poll() is not None:
        raise AssertionError(f"the glue exited ({process.returncode}): {(folder / 'glue.log').read_text()[-3000:]}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def enqueue(server, folder):
    """The task, made and enqueued with the real clearml SDK; its id."""
    home = folder / "sdk"
    home.mkdir()
    (home / "clearml.conf").write_text("api { }\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLEARML", "TRAINS"))}
    env.update({"HOME": str(home), "CLEARML_CONFIG_FILE": str(home / "clearml.conf"), "CLEARML_API_HOST": server.url,
                "CLEARML_WEB_HOST": server.url, "CLEARML_FILES_HOST": server.url, "CLEARML_API_ACCESS_KEY": server.access_key,
                "CLEARML_API_SECRET_KEY": server.secret_key, "CLEARML_LOG_LEVEL": "WARNING"})
    made = subprocess.run([sys.executable, "-c", ENQUEUE, QUEUE, IMAGE], input=report_script_python(), env=env,
                          capture_output=True, text=True, timeout=180)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-3000:]
    return made.stdout.strip().splitlines()[-1]


def changed_in(root, since):
    """Whatever in the root was made, written or had its owner or mode changed after the file `since`."""
    found = subprocess.run(["find", str(root), "-xdev", "(", "-newer", str(since), "-o", "-cnewer", str(since), ")", "-print"],
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    return found.stdout.split()


def test_a_task_in_a_glibc_2_31_image_completes_through_the_glue_on_the_embedded_cluster(bundle, server, tmp_path):
    root = debootstrap_root("bullseye", BULLSEYE_PACKAGES)
    libc = chroot(root, "/lib/x86_64-linux-gnu/libc.so.6").stdout
    assert "release version 2.31" in libc, libc
    since = tmp_path / "before-the-run"
    since.write_text("")
    time.sleep(0.05)

    agent = shared_folder("image-root-agent-") / "clearml-glue"
    shutil.copytree(bundle, agent, symlinks=True)
    data_dir = shared_folder("image-root-cluster-")
    cluster = Cluster(data_dir, root)
    glue = glue_log = None
    try:
        cluster.kubectl("create", "namespace", NAMESPACE)
        cluster.kubectl("-n", NAMESPACE, "create", "secret", "generic", "clearml-credentials",
                        f"--from-literal=CLEARML_API_ACCESS_KEY={server.access_key}",
                        f"--from-literal=CLEARML_API_SECRET_KEY={server.secret_key}")
        glue, metrics_port, glue_log = start_glue(cluster, server, agent, tmp_path)
        wait_for(lambda: glue_ready(glue, metrics_port, tmp_path), 60, "the glue's /readyz")
        started = time.monotonic()
        task_id = enqueue(server, tmp_path)

        final = {"completed", "failed", "stopped"}
        status = wait_for(lambda: (lambda s: s if s in final else None)(server.task_status(task_id)), 180, f"task {task_id} finished")
        task = server.ok("tasks.get_by_id", {"task": task_id})["task"]
        events = cluster.json("get", "events", "-n", NAMESPACE)["items"]
        diagnosis = (f"{task.get('status_reason')} {task.get('status_message')}\nglue: {(tmp_path / 'glue.log').read_text()[-3000:]}\n"
                     + "\n".join(f"{e['involvedObject'].get('fieldPath', '')} {e['reason']}: {e['message']}" for e in events)[-3000:])
        assert status == "completed", f"task {task_id} is {status}: {diagnosis}"
        print(f"task {task_id} completed {time.monotonic() - started:.1f} s after it was enqueued", file=sys.stderr)
        assert task["container"]["image"] == IMAGE, task.get("container")

        # The console, stored by the agent: the script ran on the image's glibc 2.31, with nothing of the bundle.
        lines = stored_console(server, task_id)
        report = task_report(lines)
        assert "LIBC glibc 2.31" in report, report
        # CLEARML_GLUE_AGENT_DIR is the pod's own variable (the start script finds the agent with it), not the bundle's.
        assert_nothing_leaks(report, r"/lib/x86_64-linux-gnu/libc-2\.31\.so$", bundle_dir="/clearml-agent",
                             pod_variables=["CLEARML_GLUE_AGENT_DIR"])
        assert "hello" in lines, lines
        assert not [line for line in report if line.startswith("ENV LD_LIBRARY_PATH=")], report

        # One pod for the task: its task container ran in the image (the kubelet's Pulled event names the image),
        # its init container copied the bundle; the glue deleted it once it succeeded.
        pod_events = [e for e in events if e["involvedObject"]["kind"] == "Pod" and task_id in e["involvedObject"]["name"]]
        scheduled = {e["involvedObject"]["name"] for e in pod_events if e["reason"] == "Scheduled"}
        assert len(scheduled) == 1, scheduled
        pulled = {e["involvedObject"].get("fieldPath"): e["message"] for e in pod_events if e["reason"] == "Pulled"}
        assert pulled.get("spec.containers{clearml-task}") == f'Container image "{IMAGE}" already present on machine', pulled
        assert "spec.initContainers{clearml-agent-install}" in pulled, pulled
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        created = [float(m) for m in re.findall(r"^clearml_glue_pods_created_total\S* (\S+)$", metrics, re.M)]
        assert sum(created) == 1, metrics[:2000]
        wait_for(lambda: not cluster.json("get", "pods", "-n", NAMESPACE, "-l", f"clearml-task-id={task_id}")["items"], 60,
                 f"the pod of task {task_id} deleted by the glue")
        # Its sandbox (overlay layers, volumes) went with it, and its mounts never reached this namespace.
        wait_for(lambda: not list((data_dir / "pods").glob(f"{NAMESPACE}_*{task_id}*")), 15, "the pod's sandbox removed")
        mounts = Path("/proc/self/mountinfo").read_text()
        assert str(data_dir) not in mounts, [line for line in mounts.splitlines() if str(data_dir) in line]
    finally:
        if glue is not None:
            glue.terminate()
            try:
                glue.wait(timeout=15)
            except subprocess.TimeoutExpired:
                glue.kill()
            glue_log.close()
        cluster.stop()
        subprocess.run(["rm", "-rf", "--one-file-system", str(data_dir), str(agent.parent)])
    # The shared root is as it was: the container wrote only to its own layer.
    assert changed_in(root, since) == []
    assert tree_digest(bundle) == DIGESTS[bundle]
