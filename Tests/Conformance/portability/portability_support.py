"""Shared by the portability tests: Debian and busybox roots (built once, cached under .cache/debootstrap), the
agent bundle, the report a task prints about itself and the checks made on it. Fixtures are in conftest.py."""
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CACHE = REPO / ".cache" / "debootstrap"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUNDLE_IN_ROOT = "/opt/clearml-glue"
BEGIN, END = "=====TASK-REPORT-BEGIN=====", "=====TASK-REPORT-END====="
UNICODE = "unicode: h\u00e9llo \u2713 \u65e5\u672c"
DIGESTS = {}  # bundle folder -> digest when built: each root must leave it unchanged
# The Debian 11 root (glibc 2.31, like Ubuntu 20.04): one package set, so every test shares one cached root.
BULLSEYE_PACKAGES = ["ca-certificates", "git", "python3-minimal"]


def unavailable(reason):
    """A root or tool this test needs cannot be had: a failure under CI, a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"portability test cannot run under CI: {reason}")
    print(f"portability test skipped: {reason}", file=sys.stderr)
    pytest.skip(reason)


def need_root_and_chroot():
    if os.geteuid() != 0:
        unavailable("debootstrap and chroot need root")


def debian_mirror(suite):
    """The Debian mirror this machine's apt uses (for the suite itself when listed, else for its Debian
    release: the same archive serves older suites), deb822 or one-line sources."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    fallback = None
    for source in sources:
        if not source.is_file() or not source.name.endswith((".list", ".sources")):
            continue
        text = source.read_text()
        entries = []
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites:
                entries += [(uris.group(1), s) for s in suites.group(1).split()]
        entries += re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s", text, re.M)
        for uri, listed in entries:
            if "security" in uri or "debian" not in uri:
                continue
            if listed == suite:
                return uri
            if listed in ("bookworm", "trixie", "bullseye") and fallback is None:
                fallback = uri
    return fallback or "http://deb.debian.org/debian"


def debootstrap_root(suite, packages):
    """The cached minbase root for (suite, packages), built once (under a lock, into a temp folder renamed when
    complete)."""
    need_root_and_chroot()
    if not shutil.which("debootstrap"):
        unavailable("debootstrap is not installed (scripts/install-deps installs it)")
    key = f"{suite}-minbase-{'+'.join(sorted(packages))}"
    root = CACHE / key
    complete = root / ".glue-debootstrap-complete"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete.exists():
            return root
        partial = CACHE / f"partial-{key}-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        mirror = debian_mirror(suite)
        started = time.monotonic()
        result = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(sorted(packages))}", suite,
                                 str(partial), mirror], capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            unavailable(f"debootstrap {suite} from {mirror} failed: {(result.stdout + result.stderr)[-1500:]}")
        partial.rename(root)
        complete.write_text(f"{mirror}\n")
        print(f"debootstrap {key}: {time.monotonic() - started:.0f} s", file=sys.stderr)
        return root


def busybox_root():
    """A root holding only Debian's statically linked busybox with its applet links, a passwd/group/hosts file,
    device nodes and /tmp: no libc, no loader, no nsswitch.conf, no CA store."""
    need_root_and_chroot()
    root = CACHE / "busybox-static"
    complete = root / ".glue-busybox-complete"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete.exists():
            return root
        shutil.rmtree(root, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            os.chmod(scratch, 0o755)  # apt's _apt user writes the download there
            fetched = subprocess.run(["apt-get", "download", "busybox-static"], cwd=scratch, capture_output=True, text=True, timeout=300)
            if fetched.returncode != 0:
                subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=600)
                fetched = subprocess.run(["apt-get", "download", "busybox-static"], cwd=scratch, capture_output=True, text=True, timeout=300)
            debs = list(Path(scratch).glob("busybox-static_*.deb"))
            if fetched.returncode != 0 or not debs:
                unavailable(f"apt-get download busybox-static failed: {(fetched.stdout + fetched.stderr)[-1500:]}")
            extracted = Path(scratch) / "x"
            subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(extracted)], check=True, capture_output=True)
            partial = Path(scratch) / "root"
            (partial / "bin").mkdir(parents=True)
            shutil.copy2(extracted / "bin" / "busybox", partial / "bin" / "busybox")
            applets = subprocess.run([str(partial / "bin" / "busybox"), "--list-full"], check=True, capture_output=True,
                                     text=True).stdout.split()
            for applet in applets:
                link = partial / applet
                if link.name == "busybox" or link.exists():
                    continue
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to("/bin/busybox")
            for folder in ("etc", "proc", "root", "home/glue", "dev", "opt"):
                (partial / folder).mkdir(parents=True, exist_ok=True)
            (partial / "tmp").mkdir(mode=0o1777)
            os.chmod(partial / "tmp", 0o1777)
            os.chown(partial / "home" / "glue", 1000, 1000)
            (partial / "etc" / "passwd").write_text(
                "root:x:0:0:root:/root:/bin/sh\nglue:x:1000:1000:glue:/home/glue:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
            (partial / "etc" / "group").write_text("root:x:0:\nglue:x:1000:\nnogroup:x:65534:\n")
            (partial / "etc" / "hosts").write_text("127.0.0.1 localhost\n")
            for name, minor in (("null", 3), ("zero", 5), ("random", 8), ("urandom", 9)):
                os.mknod(partial / "dev" / name, 0o666 | 0o020000, os.makedev(1, minor))
                os.chmod(partial / "dev" / name, 0o666)
            complete_name = debs[0].name
            partial.rename(root)
        complete.write_text(complete_name + "\n")
        return root


def chroot(root, *args, env=None, timeout=120, userspec=None):
    command = ["chroot", *([f"--userspec={userspec}"] if userspec else []), str(root), *args]
    return subprocess.run(command, env=env if env is not None else {"PATH": PATH}, capture_output=True, text=True,
                          timeout=timeout)


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_bundle(out):
    """scripts/bundle from $GLUE_BIN into `out`; records its digest in DIGESTS."""
    binary = os.environ.get("GLUE_BIN")
    if not binary or not os.path.exists(binary):
        unavailable("GLUE_BIN is not set to a built clearml-glue binary")
    built = subprocess.run([str(REPO / "scripts" / "bundle"), "--binary", binary, "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    DIGESTS[out] = tree_digest(out)
    return out


def report_script_python():
    return (
        "import os, platform\n"
        f"print({BEGIN!r})\n"
        "print('LIBC', *platform.libc_ver())\n"
        "for key in sorted(os.environ): print('ENV ' + key + '=' + os.environ[key])\n"
        "print(''.join('MAPS ' + line for line in open('/proc/self/maps')), end='')\n"
        "print('UID', os.getuid())\n"
        f"print({END!r})\n"
        "print('hello')\n"
        f"print({UNICODE!r})\n"
    )


def report_script_shell():
    return (
        f"echo '{BEGIN}'\n"
        "env | sed 's/^/ENV /'\n"
        "sed 's/^/MAPS /' /proc/self/maps\n"
        "echo \"UID $(id -u)\"\n"
        "echo \"PWD $(pwd)\"\n"
        f"echo '{END}'\n"
        "echo hello\n"
        f"echo '{UNICODE}'\n"
    )


def stored_console(server, task_id):
    events = server.ok("events.get_task_log", {"task": task_id, "batch_size": 10000, "order": "asc"})["events"]
    return [line for event in events for line in event.get("msg", "").splitlines()]


def task_report(lines):
    assert BEGIN in lines and END in lines, lines
    return lines[lines.index(BEGIN) + 1:lines.index(END)]


def assert_nothing_leaks(report, root_libc_pattern, bundle_dir=BUNDLE_IN_ROOT, pod_variables=()):
    """The task's environment and memory map hold nothing of the bundle (at `bundle_dir` in the root), and its
    libc is the root's. `pod_variables`: variables the pod spec itself sets to the bundle's folder."""
    given = tuple(f"ENV {name}=" for name in pod_variables)
    leaked = [line for line in report if (bundle_dir in line or "clearml-glue/lib" in line) and not line.startswith(given)]
    assert leaked == [], leaked
    names = {line[4:].split("=", 1)[0] for line in report if line.startswith("ENV ")}
    assert names, report
    assert not names & {"LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT", "GCONV_PATH", "LOCPATH"}, names
    maps = [line for line in report if line.startswith("MAPS ")]
    assert maps, report
    if root_libc_pattern:
        assert any(re.search(root_libc_pattern, line) for line in maps), maps
