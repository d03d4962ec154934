"""The image from scripts/image, built once per session from $GLUE_BIN; the embedded server and cluster from $GLUE_DEV_BIN."""
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from image_support import ARCHIVE, IMAGE, REPO, SCRIPT, Engine, unavailable

sys.path.insert(0, str(REPO / "Tests" / "Conformance" / "clearml"))
from clearml_support import start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def glue_bin():
    binary = os.environ.get("GLUE_BIN")
    if not binary or not os.path.exists(binary):
        unavailable("GLUE_BIN is not set to a built clearml-glue binary")
    return binary


@pytest.fixture(scope="session")
def glue_dev_bin():
    binary = os.environ.get("GLUE_DEV_BIN")
    if not binary or not os.path.exists(binary):
        unavailable("GLUE_DEV_BIN is not set to a built clearml-glue-dev binary")
    return binary


@pytest.fixture(scope="session")
def image(glue_bin):
    """Builds the image with scripts/image from $GLUE_BIN (a few seconds when the layers are cached); returns
    (engine, image name, archive path)."""
    if os.geteuid() != 0:
        unavailable("scripts/image needs root (debootstrap, rootful podman storage)")
    started = time.time()
    built = subprocess.run([str(SCRIPT), "--binary", glue_bin, "--tag", "clearml-glue:conformance", "--out", str(ARCHIVE)],
                           capture_output=True, text=True, timeout=1500)
    assert built.returncode == 0, f"scripts/image failed:\n{built.stdout[-2000:]}\n{built.stderr[-4000:]}"
    print(f"scripts/image built {IMAGE} in {time.time() - started:.0f} s", file=sys.stderr)
    exports = subprocess.run([str(SCRIPT), "env"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for word in shlex.split(exports):
        if "=" in word:
            key, value = word.split("=", 1)
            env[key] = value
    return Engine(env), IMAGE, ARCHIVE


@pytest.fixture(scope="session")
def glue_server(glue_dev_bin, tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("image-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def cluster(glue_dev_bin):
    """`clearml-glue-dev cluster` on a free loopback port: yields its kubeconfig path (pods run as host processes)."""
    data_dir = tempfile.mkdtemp(prefix="image-cluster-")
    # mkdtemp makes it 0700; pod processes run as their securityContext users (the init container as 10001).
    os.chmod(data_dir, 0o755)
    stderr = open(os.path.join(data_dir, "cluster.stderr"), "w")
    process = subprocess.Popen([glue_dev_bin, "cluster", "--port", "0", "--data-dir", data_dir],
                               stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
    kubeconfig = None
    deadline = time.time() + 60
    while time.time() < deadline and kubeconfig is None:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"cluster exited early: {Path(stderr.name).read_text()}")
        if line.startswith("kubeconfig: "):
            kubeconfig = line.split(": ", 1)[1].strip()
    if kubeconfig is None:
        process.kill()
        raise RuntimeError("cluster did not print its kubeconfig path in time")
    yield {"kubeconfig": kubeconfig, "data_dir": data_dir}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    subprocess.run(["rm", "-rf", "--one-file-system", data_dir])

