"""The agent bundle (scripts/bundle) runs `execute` in a minimal Debian root that has no libcurl.

The root is `debootstrap --variant=minbase --include=python3-minimal bookworm` from the mirror this machine's
apt uses, cached under .cache/debootstrap (ignored by git) and reused. The bundle is built from $GLUE_BIN
(no second build), copied to <root>/opt/clearml-glue, and run with chroot (same network namespace) against
`clearml-glue server` on 127.0.0.1. Skipped only when debootstrap/chroot cannot run here, saying why.
"""
import fcntl
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "Conformance" / "clearml"))
from clearml_support import start_server  # noqa: E402

CACHE = REPO / ".cache" / "debootstrap"
ROOT = CACHE / "bookworm-minbase-python3"
COMPLETE = ROOT / ".glue-debootstrap-complete"
SUITE = "bookworm"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def skip(reason):
    print(f"portability test skipped: {reason}", file=sys.stderr)
    pytest.skip(reason)


def apt_mirror():
    """The Debian mirror this machine's apt uses for the suite (deb822 or one-line sources)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        if not source.is_file() or not source.name.endswith((".list", ".sources")):
            continue
        text = source.read_text()
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split() and "security" not in uris.group(1):
                return uris.group(1)
        for match in re.finditer(rf"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+{SUITE}\s", text, re.M):
            if "security" not in match.group(1):
                return match.group(1)
    return "http://deb.debian.org/debian"


def debootstrap_root():
    """The cached minbase root, built once (under a lock, into a temp folder renamed when complete)."""
    if os.geteuid() != 0:
        skip("debootstrap and chroot need root")
    if not shutil.which("debootstrap"):
        skip("debootstrap is not installed (scripts/install-deps installs it)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if COMPLETE.exists():
            return ROOT
        partial = CACHE / f"partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(ROOT, ignore_errors=True)
        mirror = apt_mirror()
        result = subprocess.run(["debootstrap", "--variant=minbase", "--include=python3-minimal", SUITE,
                                 str(partial), mirror], capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            skip(f"debootstrap {SUITE} from {mirror} could not run: {(result.stdout + result.stderr)[-1500:]}")
        partial.rename(ROOT)
        COMPLETE.write_text(mirror + "\n")
        return ROOT


def chroot(root, *args, env=None, timeout=120):
    return subprocess.run(["chroot", str(root), *args], env=env if env is not None else {"PATH": PATH},
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def root():
    path = debootstrap_root()
    probe = subprocess.run(["chroot", str(path), "/bin/true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip(f"chroot cannot run here: {probe.stderr.strip()}")
    shutil.rmtree(path / "opt" / "clearml-glue", ignore_errors=True)  # left over by an interrupted run
    proc = path / "proc"
    mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc)], capture_output=True).returncode == 0
    work = path / "tmp" / f"glue-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        yield path, work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(path / "opt" / "clearml-glue", ignore_errors=True)
        if mounted:
            subprocess.run(["umount", str(proc)], capture_output=True)


@pytest.fixture()
def server(tmp_path):
    server = start_server(tmp_path / "server")
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


def test_bundle_runs_execute_in_a_minbase_root_without_libcurl(root, server):
    root, work = root
    inside = "/" + str(work.relative_to(root))

    # The root really lacks libcurl (and sqlite): no package, no file anywhere.
    packages = chroot(root, "dpkg-query", "-W", "-f", "${Package} ${Status}\\n")
    assert packages.returncode == 0, packages.stderr
    assert "python3-minimal install ok installed" in packages.stdout
    assert not re.search(r"^lib(curl|sqlite3)\S* ", packages.stdout, re.M), packages.stdout
    found = subprocess.run(["find", str(root), "-xdev", "-name", "libcurl*", "-o", "-name", "libsqlite3*"],
                           capture_output=True, text=True).stdout.split()
    assert found == [], found

    # Control: the plain binary cannot even start there.
    shutil.copy(os.environ["GLUE_BIN"], work / "plain-clearml-glue")
    plain = chroot(root, f"{inside}/plain-clearml-glue", "--help")
    assert plain.returncode != 0 and "error while loading shared libraries" in plain.stderr, plain.stderr
    (work / "plain-clearml-glue").unlink()

    # The bundle, built from $GLUE_BIN, at /opt/clearml-glue.
    bundle = root / "opt" / "clearml-glue"
    built = subprocess.run([str(REPO / "scripts" / "bundle"), "--binary", os.environ["GLUE_BIN"], "--out", str(bundle)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    floor = (bundle / "GLIBC_FLOOR").read_text().strip()
    libc = chroot(root, "/lib/x86_64-linux-gnu/libc.so.6").stdout
    have = re.search(r"release version (\d+\.\d+)", libc).group(1)
    assert tuple(map(int, have.split("."))) >= tuple(map(int, floor.split("."))), (have, floor)

    # Every library resolves from the bundle or the root's glibc, and libcurl from the bundle.
    listing = chroot(root, "/lib64/ld-linux-x86-64.so.2", "--list", "/opt/clearml-glue/bin/clearml-glue")
    assert listing.returncode == 0 and "not found" not in listing.stdout, listing.stdout + listing.stderr
    assert re.search(r"libcurl\.so\.4 => /opt/clearml-glue/bin/\.\./lib/libcurl\.so\.4", listing.stdout), listing.stdout

    task_id = server.ok("tasks.create", {
        "name": "portable-hello", "type": "training",
        "script": {"entry_point": "hello.py", "working_dir": ".", "binary": "python3", "diff": 'print("hello")\n'},
    })["id"]
    server.ok("tasks.enqueue", {"task": task_id, "queue_name": "portable_q"})
    (work / "clearml.conf").write_text("api { }\nagent { }\n")
    env = {
        "PATH": PATH, "HOME": inside, "CLEARML_CONFIG_FILE": f"{inside}/clearml.conf",
        "CLEARML_API_HOST": server.url, "CLEARML_WEB_HOST": server.url, "CLEARML_FILES_HOST": server.url,
        "CLEARML_API_ACCESS_KEY": server.access_key, "CLEARML_API_SECRET_KEY": server.secret_key,
        # python3-minimal has no venv module: run on the interpreter as it is.
        "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1",
    }
    result = chroot(root, "/opt/clearml-glue/bin/clearml-glue", "execute", "--id", task_id, "--require-queue",
                    env=env, timeout=180)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    task = server.ok("tasks.get_by_id", {"task": task_id})["task"]
    assert task["status"] == "completed", (task["status"], task.get("status_reason"), output)
    events = server.ok("events.get_task_log", {"task": task_id, "batch_size": 10000, "order": "asc"})["events"]
    lines = [line for event in events for line in event.get("msg", "").splitlines()]
    assert "hello" in lines, lines
    assert "hello" in result.stdout.splitlines(), output  # also on the agent's stdout (kubectl logs)
