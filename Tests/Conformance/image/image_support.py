"""Helpers of the image suite: podman with scripts/image's private configuration (runc, cgroupfs, storage under
.build-image/), the image's name and archive.

Missing prerequisites (root, $GLUE_BIN) skip the tests on a developer's machine and fail them under CI=true:
CI must never pass an image test it did not run.
"""
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "image"

# A tag of the tests' own, so a user's clearml-glue:0.1.0 (and its archive) is left as it was.
IMAGE = "docker.io/library/clearml-glue:conformance"
ARCHIVE = REPO / ".build-image" / "conformance.oci.tar"


def unavailable(reason):
    """Skip on a developer's machine; fail under CI, where every prerequisite is installed by the run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"image test cannot run in CI: {reason}")
    pytest.skip(reason)


class Engine:
    """podman/buildah with scripts/image's private configuration."""

    def __init__(self, env):
        self.env = env

    def run(self, tool, *args, timeout=300, check=False, input=None):
        result = subprocess.run([tool, *args], env=self.env, capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def podman(self, *args, **kwargs):
        return self.run("podman", *args, **kwargs)



def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def glibc_version(text):
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None
