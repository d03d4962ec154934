"""Fixtures of the portability suite: one agent bundle per session, and `clearml-glue-dev server` per test.

Debian roots are `debootstrap --variant=minbase` from this machine's Debian mirror, cached under
.cache/debootstrap/<suite>-minbase-<packages> (ignored by git); the busybox root is made from the .deb that
`apt-get download busybox-static` fetches (portability_support.py). With CI=true anything that keeps a root from
being built (no root user, no debootstrap, no network) fails the test; elsewhere it skips, saying why.
"""
import sys

import pytest

from portability_support import REPO, build_bundle

sys.path.insert(0, str(REPO / "Tests" / "Conformance" / "clearml"))
from clearml_support import start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """The agent bundle, built once from $GLUE_BIN by scripts/bundle."""
    return build_bundle(tmp_path_factory.mktemp("bundle") / "clearml-glue")


@pytest.fixture()
def server(tmp_path):
    server = start_server(tmp_path / "server")
    yield server
    stop_server(server)
