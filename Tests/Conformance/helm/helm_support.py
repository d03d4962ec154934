"""Shared by the helm suite: the cluster and helm wrappers, the SDK helpers, waiting. Fixtures are in conftest.py."""
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CHART = ROOT / "charts" / "clearml-glue"


def require(condition, message):
    """Skip locally, fail in CI: the suite must not pass by testing nothing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outside_tmp(prefix):
    """A world-readable folder that is not under /tmp. The embedded cluster runs containers as local processes and
    maps their volume mounts (the glue's /tmp emptyDir) onto its own folders, so a program the pod runs must not
    live under a mount path; CI's checkout is under /tmp."""
    for base in (os.environ.get("CLEARML_GLUE_TEST_BIN_DIR"), "/var/tmp", str(pathlib.Path.home() / ".cache")):
        if base and os.path.isdir(base) and not os.path.realpath(base).startswith("/tmp"):
            path = tempfile.mkdtemp(prefix=prefix, dir=base)
            os.chmod(path, 0o755)
            return pathlib.Path(path)
    raise RuntimeError("no folder outside /tmp to stage binaries in")


class Cluster:
    def __init__(self, process, data_dir, kubeconfig, log_path, kubectl):
        self.process = process
        self.data_dir = data_dir
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.kubectl_path = kubectl

    def kubectl(self, *args, check=True, timeout=60, input=None):
        result = subprocess.run([self.kubectl_path, "--kubeconfig", self.kubeconfig, *args],
                                capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def requests(self, user=None, since=0):
        """The API server's access log (one debug line per request): [(method, path, code, user)], from line `since`."""
        rows = []
        with open(self.log_path) as log:
            for line in log.readlines()[since:]:
                match = re.search(r' request code=(\d+) method=(\S+) path="?(\S+?)"? user=(\S+)$', line.strip())
                if match and (user is None or match.group(4) == user):
                    rows.append((match.group(2), match.group(3), int(match.group(1)), match.group(4)))
        return rows

    def log_length(self):
        with open(self.log_path) as log:
            return len(log.readlines())


class Helm:
    def __init__(self, name, binary, cluster, home):
        self.name = name
        self.binary = str(binary)
        self.cluster = cluster
        self.env = {**os.environ, "KUBECONFIG": cluster.kubeconfig if cluster else "/nonexistent",
                    "HELM_CACHE_HOME": str(home / "cache"), "HELM_CONFIG_HOME": str(home / "config"),
                    "HELM_DATA_HOME": str(home / "data")}

    def run(self, *args, check=True, timeout=240):
        result = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=timeout, env=self.env)
        if check and result.returncode != 0:
            raise AssertionError(f"{self.name} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def version(self):
        return self.run("version", "--template", "{{.Version}}").stdout.strip()


def client_env(server, home):
    """Environment of the real clearml SDK, pointed at our server."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "clearml.conf"
    config.write_text("api { }\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLEARML", "TRAINS"))}
    env.update({
        "HOME": str(home), "CLEARML_CONFIG_FILE": str(config), "CLEARML_API_HOST": server.url, "CLEARML_WEB_HOST": server.url,
        "CLEARML_FILES_HOST": server.url, "CLEARML_API_ACCESS_KEY": server.access_key,
        "CLEARML_API_SECRET_KEY": server.secret_key, "CLEARML_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
    })
    return env


ENQUEUE = """
import sys
from clearml import Task
task = Task.create(project_name="helm-suite", task_name=sys.argv[2], task_type="training")
task.update_task({"script": {"entry_point": "run.py", "working_dir": ".", "diff": "print('ran in a task pod of the helm-installed glue')\\n"}})
Task.enqueue(task, queue_name=sys.argv[1])
print(task.id)
"""


def enqueue(server, home, queue, name):
    """A task made and enqueued with the real clearml SDK; returns its id. Waits for the queue first: the glue
    creates it (createQueueIfNotExists) once it runs."""
    wait_for(lambda: [q for q in server.ok("queues.get_all", {"name": f"^{queue}$"})["queues"] if q["name"] == queue],
             timeout=60, message=f"queue {queue} created by the glue")
    result = subprocess.run([sys.executable, "-c", ENQUEUE, queue, name], env=client_env(server, home),
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def wait_for(predicate, timeout=60, interval=0.5, message="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{message} not met within {timeout}s (last: {last!r})")


def wait_for_task(server, task_id, timeout=150):
    final = {"completed", "failed", "stopped", "closed", "published"}
    status = wait_for(lambda: (lambda s: s if s in final else None)(server.task_status(task_id)), timeout=timeout,
                      message=f"task {task_id} finished")
    task = server.ok("tasks.get_by_id", {"task": task_id})["task"]
    return status, task


def wait_for_task_pod_gone(cluster, namespace, task_id, timeout=60):
    """The glue deletes a succeeded task's pod (K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES, 0 by default); a glue
    stopped before that leaves the pod behind, as documented, so tests wait for it before tearing down."""
    wait_for(lambda: not cluster.json("get", "pods", "-n", namespace, "-l", f"clearml-task-id={task_id}")["items"],
             timeout=timeout, message=f"the pod of task {task_id} deleted by the glue")
