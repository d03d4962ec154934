"""The agent bundle (scripts/bundle) runs `execute` unchanged in roots that share nothing with the build machine.

One bundle, built once from $GLUE_BIN, is copied to <root>/opt/clearml-glue of each root and run with chroot
(same network namespace) against `clearml-glue-dev server` on 127.0.0.1:
- Debian 12 minbase + python3-minimal (no libcurl, no sqlite): a Python task;
- Debian 11 minbase + python3-minimal, git, ca-certificates (glibc 2.31, like Ubuntu 20.04): a Python task from a
  git repository cloned over HTTPS with --git-user/--git-pass, the API reached over HTTPS too, both verified
  with the root's own CA store (the test CA added to it for the test), run as another user through
  CLEARML_AGENT_EXEC_USER;
- only a statically linked busybox (Debian's busybox-static), no libc at all, no /etc/nsswitch.conf: a shell
  task (`script.binary` /bin/sh), the agent running as a non-root user whose home comes from /etc/passwd, the
  API host named `localhost` (/etc/hosts), over HTTPS with SSL_CERT_FILE.
Every task prints its environment and /proc/self/maps: nothing of the bundle (path, LD_LIBRARY_PATH, LD_PRELOAD)
may reach it, and its libc is the root's own.

The roots and the bundle come from portability_support.py and conftest.py, shared with
test_image_root_cluster.py (the bullseye root as a pod's image on the embedded cluster).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from portability_support import (BULLSEYE_PACKAGES, BUNDLE_IN_ROOT, DIGESTS, PATH, REPO, UNICODE, assert_nothing_leaks,
                                 busybox_root, chroot, debootstrap_root, report_script_python, report_script_shell,
                                 stored_console, task_report, tree_digest, unavailable)

sys.path.insert(0, str(REPO / "Tests" / "Conformance" / "clearml"))
from clearml_support import make_git_repo  # noqa: E402

GIT_USER, GIT_PASS = "gituser", "s3cret-git-pass"


@contextmanager
def prepared(root, bundle):
    """/proc mounted, the bundle at /opt/clearml-glue, a work folder; all removed afterwards."""
    probe = subprocess.run(["chroot", str(root), "/bin/true"], capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"chroot cannot run here: {probe.stderr.strip()}")
    target = root / BUNDLE_IN_ROOT.lstrip("/")
    shutil.rmtree(target, ignore_errors=True)  # left over by an interrupted run
    shutil.copytree(bundle, target, symlinks=True)
    proc = root / "proc"
    mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc)], capture_output=True).returncode == 0
    work = root / "tmp" / f"glue-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    os.chmod(work, 0o755)
    try:
        yield work, "/" + str(work.relative_to(root))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        if mounted:
            subprocess.run(["umount", str(proc)], capture_output=True)


@pytest.fixture()
def tls(tmp_path):
    """A test CA and a server certificate for localhost and 127.0.0.1, signed by it."""
    folder = tmp_path / "tls"
    folder.mkdir()
    run = lambda *args: subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=clearml-glue portability test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                    "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "2", "-extfile", "ext.cnf")
    return folder


@contextmanager
def https_front(tls, server, git_root):
    """Tests/Fixtures/https_git_server.py: git smart HTTP under /git/ (Basic auth) and the API server behind TLS.
    Its request log (one line per request) goes to `front.log`."""
    log = open(tls / "front.log", "w")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "Tests" / "Fixtures" / "https_git_server.py"), "--cert", str(tls / "server.pem"),
         "--key", str(tls / "server.key"), "--git-root", str(git_root), "--user", GIT_USER, "--password", GIT_PASS,
         "--upstream", server.url],
        stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"https_git_server did not start: {line} {(tls / 'front.log').read_text()}")
    front = type("Front", (), {})()
    front.port = int(line.split()[1])
    front.log = tls / "front.log"
    try:
        yield front
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def run_execute(root, task_id, env, userspec=None, extra=()):
    result = chroot(root, f"{BUNDLE_IN_ROOT}/bin/clearml-agent", "execute", "--id", task_id, "--require-queue", *extra,
                    env=env, timeout=240, userspec=userspec)
    return result, result.stdout[-4000:] + result.stderr[-4000:]


def assert_completed(server, task_id, result, output):
    assert result.returncode == 0, output
    task = server.ok("tasks.get_by_id", {"task": task_id})["task"]
    assert task["status"] == "completed", (task["status"], task.get("status_reason"), output)
    lines = stored_console(server, task_id)
    if os.environ.get("PORTABILITY_VERBOSE"):
        print(f"--- console of {task_id} ---", *lines, "--- agent stderr ---", result.stderr[-3000:], sep="\n")
    assert "hello" in lines, lines
    assert UNICODE in lines, lines  # UTF-8 from the task's image locale, through the agent, stored as such
    assert "hello" in result.stdout.splitlines(), output  # also on the agent's stdout (kubectl logs)
    return lines


def agent_env(server_url, server, inside, **extra):
    env = {
        "PATH": PATH, "HOME": inside, "LANG": "C.UTF-8", "CLEARML_CONFIG_FILE": f"{inside}/clearml.conf",
        "CLEARML_API_HOST": server_url, "CLEARML_WEB_HOST": server_url, "CLEARML_FILES_HOST": server_url,
        "CLEARML_API_ACCESS_KEY": server.access_key, "CLEARML_API_SECRET_KEY": server.secret_key,
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def test_bundle_layout_and_floor(bundle):
    """The launcher is static, the bundle carries its own loader and glibc, and the floor is a kernel version."""
    assert not (bundle / "GLIBC_FLOOR").exists()
    assert (bundle / "KERNEL_FLOOR").read_text().strip() == "linux >= 3.2.0"
    launcher = subprocess.run(["readelf", "-l", str(bundle / "bin" / "clearml-glue")], capture_output=True, text=True).stdout
    assert "INTERP" not in launcher and "DYNAMIC" not in launcher, launcher
    assert os.readlink(bundle / "bin" / "clearml-agent") == "clearml-glue"
    for name in ("ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                 "libresolv.so.2", "libcurl.so.4"):
        assert (bundle / "lib" / name).is_file(), name
    assert (bundle / "share" / "clearml-glue" / "ca-certificates.crt").stat().st_size > 1000
    # Every library the binary needs resolves inside the bundle, through the bundled loader.
    listing = subprocess.run([str(bundle / "lib" / "ld-linux-x86-64.so.2"), "--library-path", str(bundle / "lib"), "--list",
                              str(bundle / "libexec" / "clearml-glue")], capture_output=True, text=True, env={"PATH": PATH})
    assert listing.returncode == 0, listing.stderr
    outside = [line for line in listing.stdout.splitlines() if "=>" in line and str(bundle) not in line]
    assert outside == [], outside
    # Runs through a symlink elsewhere, as /usr/local/bin/clearml-glue in the image does.
    with tempfile.TemporaryDirectory() as folder:
        link = Path(folder) / "clearml-glue"
        link.symlink_to(bundle / "bin" / "clearml-glue")
        version = subprocess.run([str(link), "--help"], capture_output=True, text=True, env={"PATH": PATH})
        assert version.returncode == 0 and "execute" in version.stdout, version.stdout + version.stderr


def test_bookworm_minbase_without_libcurl(bundle, server):
    root = debootstrap_root("bookworm", ["python3-minimal"])
    # The root really lacks libcurl (and sqlite): no package, no file anywhere.
    packages = chroot(root, "dpkg-query", "-W", "-f", "${Package} ${Status}\\n")
    assert packages.returncode == 0, packages.stderr
    assert "python3-minimal install ok installed" in packages.stdout
    assert not re.search(r"^lib(curl|sqlite3)\S* ", packages.stdout, re.M), packages.stdout
    found = subprocess.run(["find", str(root), "-xdev", "-name", "libcurl*", "-o", "-name", "libsqlite3*"],
                           capture_output=True, text=True).stdout.split()
    assert found == [], found

    with prepared(root, bundle) as (work, inside):
        # Control: the plain binary cannot even start there.
        shutil.copy(os.environ["GLUE_BIN"], work / "plain-clearml-glue")
        plain = chroot(root, f"{inside}/plain-clearml-glue", "--help")
        assert plain.returncode != 0 and "error while loading shared libraries" in plain.stderr, plain.stderr
        (work / "plain-clearml-glue").unlink()

        task_id = server.ok("tasks.create", {
            "name": "portable-bookworm", "type": "training",
            "script": {"entry_point": "hello.py", "working_dir": ".", "binary": "python3", "diff": report_script_python()},
        })["id"]
        server.ok("tasks.enqueue", {"task": task_id, "queue_name": "portable_q"})
        (work / "clearml.conf").write_text("api { }\nagent { }\n")
        # python3-minimal has no venv module: run on the interpreter as it is.
        env = agent_env(server.url, server, inside, CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL="1")
        result, output = run_execute(root, task_id, env)
        lines = assert_completed(server, task_id, result, output)
        assert_nothing_leaks(task_report(lines), r"/lib/x86_64-linux-gnu/libc\.so\.6$")
    assert tree_digest(bundle) == DIGESTS[bundle]


def test_bullseye_glibc_2_31_git_over_https(bundle, server, tls, tmp_path):
    root = debootstrap_root("bullseye", BULLSEYE_PACKAGES)
    libc = chroot(root, "/lib/x86_64-linux-gnu/libc.so.6").stdout
    assert "release version 2.31" in libc, libc

    # The task's code in a bare repository served over HTTPS with Basic auth.
    repo = make_git_repo(tmp_path / "src", "hello.py", report_script_python())
    git_root = tmp_path / "git"
    git_root.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(git_root / "task.git")], check=True, capture_output=True)

    store = root / "etc" / "ssl" / "certs" / "ca-certificates.crt"
    original = store.read_bytes()
    with prepared(root, bundle) as (work, inside), https_front(tls, server, git_root) as front:
        # Control: the plain binary needs a newer glibc than the root has (and libraries it lacks).
        shutil.copy(os.environ["GLUE_BIN"], work / "plain-clearml-glue")
        plain = chroot(root, f"{inside}/plain-clearml-glue", "--help")
        assert plain.returncode != 0 and ("GLIBC_2." in plain.stderr or "error while loading" in plain.stderr), plain.stderr
        (work / "plain-clearml-glue").unlink()

        # The test CA joins the root's own CA store, which the agent (bundled libcurl) and git (the root's
        # libcurl-gnutls) both read.
        store.write_bytes(original + b"\n" + (tls / "ca.pem").read_bytes())
        try:
            base = f"https://127.0.0.1:{front.port}"
            denied = chroot(root, "git", "ls-remote", f"{base}/git/task.git", env={"PATH": PATH, "GIT_TERMINAL_PROMPT": "0"})
            assert denied.returncode != 0, denied.stdout  # the server really wants the credentials

            task_id = server.ok("tasks.create", {
                "name": "portable-bullseye", "type": "training",
                "script": {"repository": f"{base}/git/task.git", "branch": "main", "entry_point": "hello.py",
                           "working_dir": ".", "binary": "python3"},
            })["id"]
            server.ok("tasks.enqueue", {"task": task_id, "queue_name": "portable_q"})
            (work / "clearml.conf").write_text("api { }\nagent { vcs_cache { enabled: false } }\n")
            env = agent_env(base, server, inside, CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL="1", CLEARML_AGENT_EXEC_USER="nobody")
            result, output = run_execute(root, task_id, env, extra=("--git-user", GIT_USER, "--git-pass", GIT_PASS))
        finally:
            store.write_bytes(original)
        lines = assert_completed(server, task_id, result, output)
        report = task_report(lines)
        assert_nothing_leaks(report, r"/lib/x86_64-linux-gnu/libc-2\.31\.so$")
        assert "UID 65534" in report, report  # CLEARML_AGENT_EXEC_USER=nobody, looked up by runuser
        assert GIT_PASS not in "\n".join(lines) and GIT_PASS not in result.stdout, "the git password reached the console"
        clone = next(Path(work).rglob("task_repository/*/.git/config"))
        assert GIT_PASS not in clone.read_text() and GIT_USER not in clone.read_text()
    front_log = front.log.read_text()
    assert re.search(rf"GET /git/task\.git/info/refs\?service=git-upload-pack 200 {GIT_USER}", front_log), front_log
    assert re.search(rf"POST /git/task\.git/git-upload-pack 200 {GIT_USER}", front_log), front_log
    assert re.search(r"POST /v[0-9.]+/tasks\.completed 200", front_log) or "tasks.completed" in front_log, front_log
    assert tree_digest(bundle) == DIGESTS[bundle]


def test_busybox_root_without_libc(bundle, server, tls, tmp_path):
    root = busybox_root()
    found = subprocess.run(["find", str(root), "-xdev", "(", "-name", "libc.so*", "-o", "-name", "ld-linux*", "-o",
                            "-name", "nsswitch.conf", "-o", "-name", "*.crt", ")"], capture_output=True, text=True).stdout.split()
    assert found == [], found

    git_root = tmp_path / "git"
    git_root.mkdir()
    with prepared(root, bundle) as (work, inside), https_front(tls, server, git_root) as front:
        found = subprocess.run(["find", str(root), "-xdev", "(", "-name", "libc.so*", "-o", "-name", "ld-linux*", ")",
                                "-not", "-path", f"{root}{BUNDLE_IN_ROOT}/*"], capture_output=True, text=True).stdout.split()
        assert found == [], found
        shutil.copy(tls / "ca.pem", work / "ca.pem")
        task_id = server.ok("tasks.create", {
            "name": "portable-busybox", "type": "training",
            "script": {"entry_point": "run.sh", "working_dir": ".", "binary": "/bin/sh", "diff": report_script_shell()},
        })["id"]
        server.ok("tasks.enqueue", {"task": task_id, "queue_name": "portable_q"})
        (work / "clearml.conf").write_text("api { }\nagent { }\n")
        # No HOME: the agent (as uid 1000) finds /home/glue in /etc/passwd through the bundled glibc, without
        # nsswitch.conf. `localhost` comes from /etc/hosts. The root has no CA store: SSL_CERT_FILE names one.
        url = f"https://localhost:{front.port}"
        env = agent_env(url, server, inside, HOME=None, SSL_CERT_FILE=f"{inside}/ca.pem")
        result, output = run_execute(root, task_id, env, userspec="1000:1000")
        lines = assert_completed(server, task_id, result, output)
        report = task_report(lines)
        assert_nothing_leaks(report, r" /bin/busybox$")
        assert "UID 1000" in report, report
        assert any(line.startswith("PWD /home/glue/.clearml/") for line in report), report

        # Without SSL_CERT_FILE the only store is the bundle's fallback: it is loaded (the TLS failure is the
        # test CA's certificate, unknown to it, not a missing CA file).
        task_id = server.ok("tasks.create", {"name": "portable-busybox-2", "type": "training",
                                             "script": {"entry_point": "run.sh", "binary": "/bin/sh", "diff": "echo hi\n"}})["id"]
        server.ok("tasks.enqueue", {"task": task_id, "queue_name": "portable_q"})
        env = agent_env(url, server, inside, HOME=None)
        result, output = run_execute(root, task_id, env, userspec="1000:1000")
        assert result.returncode == 5, output
        assert re.search(r"certificate|SSL peer|issuer", output, re.I), output
        assert not re.search(r"CA cert \(path|error setting certificate|BADFILE", output), output
    assert tree_digest(bundle) == DIGESTS[bundle]
