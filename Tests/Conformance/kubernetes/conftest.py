"""Starts `clearml-glue-dev cluster` from $GLUE_DEV_BIN on a free port and gives tests a kubectl bound to it."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


class Kubectl:
    def __init__(self, kubeconfig):
        self.kubeconfig = kubeconfig

    def cmd(self, *args):
        return [KUBECTL, "--kubeconfig", self.kubeconfig, *args]

    def run(self, *args, check=True, timeout=30, input=None):
        result = subprocess.run(self.cmd(*args), capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def wait_for(self, predicate, timeout=15, interval=0.2):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def _start_cluster(extra_args):
    binary = os.environ.get("GLUE_DEV_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("GLUE_DEV_BIN is not set to a built clearml-glue-dev binary (Tests/Conformance/conftest.py builds one)")
    data_dir = tempfile.mkdtemp(prefix="kube-conformance-")
    # stderr goes to a file: an unread pipe would fill up and stall the cluster.
    stderr = open(os.path.join(data_dir, "cluster.stderr"), "w")
    process = subprocess.Popen(
        [binary, "cluster", "--port", "0", "--data-dir", data_dir, *extra_args],
        stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True,
    )
    kubeconfig = None
    deadline = time.time() + 60
    while time.time() < deadline and kubeconfig is None:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                stderr.flush()
                with open(stderr.name) as log:
                    raise RuntimeError(f"cluster exited early: {log.read()}")
            continue
        if line.startswith("kubeconfig: "):
            kubeconfig = line.split(": ", 1)[1].strip()
    if kubeconfig is None:
        process.kill()
        raise RuntimeError("cluster did not print its kubeconfig path in time")
    return process, data_dir, kubeconfig


def _stop_cluster(process, data_dir):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster():
    process, data_dir, kubeconfig = _start_cluster(["--gpus", "1", "--fail-image-pattern", "^registry.invalid/"])
    yield {"kubeconfig": kubeconfig, "data_dir": data_dir, "process": process}
    _stop_cluster(process, data_dir)


@pytest.fixture(scope="session")
def kubectl(cluster):
    return Kubectl(cluster["kubeconfig"])
