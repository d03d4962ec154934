"""Rules for every conformance suite (Tests/Conformance/*):

- The binaries under test are $GLUE_BIN (`clearml-glue`: glue, execute, render, config, ...) and $GLUE_DEV_BIN
  (`clearml-glue-dev`: the embedded `server`, `cluster` and `dev`). Each one unset is built here
  (`swift build --product ...`) and set for every suite; a build that fails, or a variable naming no executable,
  stops the run. No test skips for want of a binary.
- Under CI=true a skipped test is a failed test, unless its skip reason matches ALLOWED_SKIPS below, each entry
  with the reason why skipping it in CI is right. `scripts/test` also passes `-rs`, so every skip is listed.
  A prerequisite CI lacks (root, debootstrap, network, podman) is a CI failure to fix, not a skip.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# reason pattern -> why this skip is acceptable even in CI. Keep it short; every entry needs its why.
ALLOWED_SKIPS = {
    # (none today: every conformance test runs in CI)
}


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


# environment variable -> the product it names
BINARIES = {"GLUE_BIN": "clearml-glue", "GLUE_DEV_BIN": "clearml-glue-dev"}


def _build(variable, product):
    """`swift build --product PRODUCT` in the repository; returns the binary's path."""
    try:
        subprocess.run(["swift", "build", "--product", product], cwd=REPO, check=True, timeout=3600,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, timeout=600,
                                  capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        raise pytest.UsageError(f"{variable} is not set and `swift` is not on PATH to build {product}: "
                                f"set {variable} to a built {product}, or run scripts/test")
    except subprocess.CalledProcessError as error:
        raise pytest.UsageError(f"{variable} is not set and building {product} failed:\n{(error.stdout or '')[-4000:]}")
    return str(Path(bin_path) / product)


def pytest_configure(config):
    for variable, product in BINARIES.items():
        binary = os.environ.get(variable, "")
        if not binary:
            binary = _build(variable, product)
            os.environ[variable] = binary
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise pytest.UsageError(f"{variable}={binary} is not an executable {product} binary")


def skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def allowed_skip(reason):
    return next((why for pattern, why in ALLOWED_SKIPS.items() if re.search(pattern, reason)), None)


def _fail_unless_allowed(report):
    if not in_ci() or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report)
    if allowed_skip(reason) is None:
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI=true, which Tests/Conformance/conftest.py forbids: {reason}\n"
                           "Install what the test needs in CI, or add the reason to ALLOWED_SKIPS with why.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _fail_unless_allowed(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A whole module skipped at collection (pytest.importorskip, a module-level skip) counts too."""
    report = yield
    _fail_unless_allowed(report)
    return report


def pytest_sessionfinish(session, exitstatus):
    """Whatever skip the hooks above did not see (another plugin's) still fails a CI run."""
    if not in_ci():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in (reporter.stats.get("skipped", []) if reporter else []) if not hasattr(r, "wasxfail")]
    unexpected = [r for r in skipped if allowed_skip(skip_reason(r)) is None]
    if unexpected:
        for r in unexpected:
            print(f"\nunexpected skip under CI=true: {r.nodeid}: {skip_reason(r)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
