"""The chart and deploy/ with the real helm (3 and 4) and kubectl against `clearml-glue-dev cluster` and `clearml-glue-dev
server`, started from $GLUE_DEV_BIN; the glue in the chart's pod is $GLUE_BIN. Under CI=true a missing binary or a failed download fails the suite instead of
skipping it."""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import helm_tools
from helm_support import HERE, Cluster, Helm, outside_tmp, require

sys.path.insert(0, str(HERE.parent / "clearml"))


@pytest.fixture(scope="session")
def tools():
    try:
        return {name: helm_tools.binaries(name) for name in helm_tools.TOOLS}
    except Exception as error:  # download or checksum
        require(False, f"the pinned helm/kubectl binaries are not available: {error}")


@pytest.fixture(scope="session")
def staged(tools):
    """The glue binary and kubectl, copied where a pod's command may point at them."""
    binary = os.environ.get("GLUE_BIN")
    require(binary and os.path.exists(binary), "GLUE_BIN is not set to a built clearml-glue binary")
    folder = outside_tmp("clearml-glue-helm-")
    glue = folder / "clearml-glue"
    shutil.copy2(binary, glue)
    kubectl = folder / "kubectl"
    shutil.copy2(tools["helm4"]["kubectl"], kubectl)
    for path in (glue, kubectl):
        os.chmod(path, 0o755)
    yield {"glue": str(glue), "kubectl": str(kubectl), "python": os.path.realpath(sys.executable)}
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(staged):
    # Pods run as their securityContext's user (the glue as 10001): every folder above their sandboxes must be
    # traversable, which pytest's own temporary folders (0700) are not.
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="helm-cluster-"))
    os.chmod(data_dir, 0o755)
    log_path = data_dir / "cluster.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [os.environ["GLUE_DEV_BIN"], "cluster", "--port", "0", "--data-dir", str(data_dir), "--log-level", "debug"],
        stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    kubeconfig = None
    deadline = time.time() + 60
    while time.time() < deadline and kubeconfig is None:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"cluster exited early: {log_path.read_text()[-3000:]}")
        if line.startswith("kubeconfig: "):
            kubeconfig = line.split(": ", 1)[1].strip()
    assert kubeconfig, "the cluster did not print its kubeconfig"
    yield Cluster(process, data_dir, kubeconfig, log_path, staged["kubectl"])
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(staged, tmp_path_factory):
    from clearml_support import start_server, stop_server
    server = start_server(tmp_path_factory.mktemp("helm-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session", params=sorted(helm_tools.TOOLS))
def helm_offline(request, tools, tmp_path_factory):
    """helm without a cluster (lint, template)."""
    return Helm(request.param, tools[request.param]["helm"], None, tmp_path_factory.mktemp(request.param))
