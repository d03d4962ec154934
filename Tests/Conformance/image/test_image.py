"""The image that scripts/image builds from the Dockerfile, run with podman (runc) on this machine.

- it runs `clearml-glue --help` as uid 10001 on a read-only root filesystem, and its archive loads into an
  empty image store under the name Kubernetes resolves `clearml-glue:<tag>` to;
- the init container that injects the agent, with the command and security context `clearml-glue render`
  gives it, copies the bundle as uid 10001 into a root-owned 0777 folder (what the kubelet makes of an emptyDir),
  where the former `cp -a` fails (the control that shows the setup is the kubelet's case);
- `clearml-glue glue` runs from the image (host network, read-only, uid 10001) against the embedded server
  and cluster: /readyz turns ready and a task goes to completed in a pod whose agent is that copied bundle;
- the copied bundle runs a task to completed inside a Debian 11 (bullseye, glibc 2.31) image with python3.
"""
import json
import os
import re
from pathlib import Path
import tempfile
import shlex
import shutil
import stat
import subprocess
import tarfile
import time
import urllib.request
import uuid

import pytest
import yaml

from image_support import SCRIPT, free_port, glibc_version

BULLSEYE = "localhost/clearml-glue-test:bullseye-python3"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def server_env(server):
    return {"CLEARML_API_HOST": server.url, "CLEARML_WEB_HOST": server.url, "CLEARML_FILES_HOST": server.url,
            "CLEARML_API_ACCESS_KEY": server.access_key, "CLEARML_API_SECRET_KEY": server.secret_key}


def env_flags(env):
    return [flag for key, value in env.items() for flag in ("-e", f"{key}={value}")]


def ensure_queue(server, name):
    queues = server.ok("queues.get_all", {"name": f"^{name}$"})["queues"]
    return queues[0]["id"] if queues else server.ok("queues.create", {"name": name})["id"]


def enqueue_script_task(server, queue, name, script):
    """A task whose script travels in its diff (no repository), run with the interpreter as it is."""
    task = server.ok("tasks.create", {
        "name": name, "type": "training",
        "script": {"entry_point": "main.py", "working_dir": ".", "binary": "python3", "diff": script},
    })["id"]
    server.ok("tasks.enqueue", {"task": task, "queue": ensure_queue(server, queue)})
    return task


def console(server, task):
    events = server.ok("events.get_task_log", {"task": task, "batch_size": 10000, "order": "asc"})["events"]
    return [line for event in events for line in event.get("msg", "").splitlines()]


def security_flags(context):
    """podman flags for a container securityContext, as the kubelet applies it with runc."""
    flags = []
    if "runAsUser" in context:
        flags += ["--user", f"{context['runAsUser']}:{context.get('runAsGroup', context['runAsUser'])}"]
    if context.get("readOnlyRootFilesystem"):
        flags.append("--read-only")
    if "ALL" in context.get("capabilities", {}).get("drop", []):
        flags += ["--cap-drop", "all"]
    if context.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    return flags


def test_image_runs_help_as_uid_10001_on_a_read_only_root(image):
    engine, name, _ = image
    config = json.loads(engine.podman("image", "inspect", name, check=True).stdout)[0]["Config"]
    assert config["User"] == "10001:10001", config
    assert config["Entrypoint"] == ["/usr/local/bin/clearml-glue"], config

    result = engine.podman("run", "--rm", "--network", "none", "--read-only", "--user", "10001:10001", name, "--help",
                           timeout=60)
    assert result.returncode == 0, result.stderr
    assert "glue" in result.stdout and "execute" in result.stdout, result.stdout
    # No --user: the image's own user is 10001, and the root filesystem really is read-only.
    probe = engine.podman("run", "--rm", "--network", "none", "--read-only", "--entrypoint", "sh", name, "-c",
                          "id -u; id -g; touch /opt/clearml-glue/x 2>&1 || echo read-only", timeout=60)
    assert probe.stdout.split()[:2] == ["10001", "10001"], probe.stdout + probe.stderr
    assert probe.stdout.rstrip().endswith("read-only"), probe.stdout
    # The agent's upstream name, for templates that call `clearml-agent execute`.
    agent = engine.podman("run", "--rm", "--network", "none", "--read-only", "--entrypoint", "clearml-agent", name,
                          "execute", "--help", timeout=60)
    assert agent.returncode == 0 and "--require-queue" in agent.stdout, agent.stdout + agent.stderr


def test_archive_names_the_image_for_podman_and_containerd_and_loads(image, tmp_path):
    engine, name, archive = image
    with tarfile.open(archive) as tar:
        assert json.load(tar.extractfile("oci-layout"))["imageLayoutVersion"] == "1.0.0"
        manifests = json.load(tar.extractfile("index.json"))["manifests"]
    annotations = manifests[0]["annotations"]
    # `kind load image-archive` runs `ctr images import`, which names an OCI image by io.containerd.image.name.
    assert annotations["io.containerd.image.name"] == name, annotations
    assert annotations["org.opencontainers.image.ref.name"] == name, annotations

    # Into an empty store of its own (scripts/image's configuration for another folder): the archive alone
    # carries the image.
    exports = subprocess.run([str(SCRIPT), "env"], env={**os.environ, "GLUE_IMAGE_DIR": str(tmp_path / "store")},
                             capture_output=True, text=True, check=True).stdout
    env = {**os.environ, **dict(word.split("=", 1) for word in shlex.split(exports) if "=" in word)}
    assert env["CONTAINERS_STORAGE_CONF"].startswith(str(tmp_path)), exports
    try:
        loaded = subprocess.run(["podman", "load", "-i", str(archive)], env=env, capture_output=True, text=True, timeout=300)
        assert loaded.returncode == 0, loaded.stderr
        assert f"Loaded image: {name}" in loaded.stdout + loaded.stderr, loaded.stdout + loaded.stderr
        ran = subprocess.run(["podman", "run", "--rm", "--network", "none", "--read-only", name, "--help"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0 and "glue" in ran.stdout, ran.stderr
    finally:
        subprocess.run(["podman", "system", "reset", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def rendered_installer(image, glue_server):
    """The init container of the pod `clearml-glue render` (the image's own binary) makes for a task."""
    engine, name, _ = image
    task = enqueue_script_task(glue_server, "image-render-q", "render", 'print("render")\n')
    result = engine.podman("run", "--rm", "--network", "host", "--read-only", *env_flags(server_env(glue_server)), name,
                           "render", "--id", task, "--queue", "image-render-q", "--credentials-secret", "clearml-credentials",
                           "--agent-image", name, timeout=60)
    assert result.returncode == 0, result.stderr
    pod = yaml.safe_load(result.stdout)
    installers = pod["spec"]["initContainers"]
    assert len(installers) == 1, installers
    return installers[0]


@pytest.fixture(scope="module")
def agent_copy(image, rendered_installer, tmp_path_factory):
    """Runs the rendered init container from the image into a root-owned 0777 host folder (a kubelet emptyDir)
    mounted where the pod mounts it; returns (folder, result)."""
    engine, name, _ = image
    folder = tmp_path_factory.mktemp("agent-volume") / "clearml-agent"
    folder.mkdir()
    # pytest's base folder is 0700; the embedded cluster runs the pod's init container as uid 10001 (as a
    # kubelet would), so the copied bundle's parents must be traversable when the glue test reuses it.
    for parent in folder.parents:
        if parent == Path(tempfile.gettempdir()) or parent == parent.parent:
            break
        os.chmod(parent, 0o755)
    os.chown(folder, 0, 0)
    os.chmod(folder, 0o777)
    mounts = rendered_installer["volumeMounts"]
    assert len(mounts) == 1, mounts
    command = rendered_installer["command"] + rendered_installer.get("args", [])
    result = engine.podman("run", "--rm", "--network", "none", *security_flags(rendered_installer.get("securityContext", {})),
                           "-v", f"{folder}:{mounts[0]['mountPath']}", "--entrypoint", json.dumps(command[:1]),
                           rendered_installer["image"], *command[1:], timeout=120)
    return folder, result, command


def test_injected_agent_copy_succeeds_as_uid_10001_into_a_root_owned_0777_volume(image, rendered_installer, agent_copy):
    folder, result, command = agent_copy
    context = rendered_installer.get("securityContext", {})
    assert context.get("runAsUser", 10001) == 10001, context
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    binary = folder / "bin" / "clearml-glue"
    assert binary.is_file() and os.access(binary, os.X_OK), sorted(p.name for p in folder.rglob("*"))
    assert binary.stat().st_uid == 10001, binary.stat()
    assert (folder / "bin" / "clearml-agent").is_symlink()
    assert any((folder / "lib").glob("libcurl.so*")), sorted(p.name for p in (folder / "lib").iterdir())
    # The folder is still the kubelet's: root-owned and 0777.
    assert folder.stat().st_uid == 0 and stat.S_IMODE(folder.stat().st_mode) == 0o777
    # The copy runs on this machine (Debian 12) from where it landed.
    ran = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr


def test_the_volume_reproduces_the_kubelet_case_where_cp_a_fails(image, tmp_path):
    """Control: the old `cp -a` (it sets the target folder's times and mode, which a non-owner may not) fails
    in the very setup the copy test uses, so that test proves something."""
    engine, name, _ = image
    folder = tmp_path / "clearml-agent"
    folder.mkdir()
    os.chown(folder, 0, 0)
    os.chmod(folder, 0o777)
    result = engine.podman("run", "--rm", "--network", "none", "--read-only", "--user", "10001:10001", "-v",
                           f"{folder}:/clearml-agent", "--entrypoint", "sh", name, "-c", "cp -a /opt/clearml-glue/. /clearml-agent/",
                           timeout=120)
    assert result.returncode != 0 and "Operation not permitted" in result.stderr, result.stdout + result.stderr


def kubectl(kubeconfig, *args, input=None):
    binary = shutil.which("kubectl") or "/usr/bin/kubectl"
    result = subprocess.run([binary, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60, input=input)
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_glue_runs_from_the_image_against_the_embedded_server_and_cluster(image, glue_server, cluster, agent_copy, tmp_path):
    engine, name, _ = image
    folder, copied, _ = agent_copy
    assert copied.returncode == 0, copied.stderr
    kubeconfig = cluster["kubeconfig"]
    kubectl(kubeconfig, "create", "namespace", "clearml")
    kubectl(kubeconfig, "-n", "clearml", "create", "secret", "generic", "clearml-credentials",
            f"--from-literal=CLEARML_API_ACCESS_KEY={glue_server.access_key}",
            f"--from-literal=CLEARML_API_SECRET_KEY={glue_server.secret_key}")
    # What the glue reads, readable by uid 10001 and mounted read-only, as a Deployment mounts them.
    config = tmp_path / "glue"
    config.mkdir()
    shutil.copy(kubeconfig, config / "kubeconfig")
    (config / "pod.yaml").write_text(yaml.safe_dump({"spec": {"terminationGracePeriodSeconds": 2, "containers": [{
        "name": "clearml-task",
        # The dev cluster runs pods as host processes: no venv, the host's python3 as it is.
        "env": [{"name": "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", "value": "1"}]}]}}))
    for path in (config, *config.iterdir()):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    queue = "image-q"
    ensure_queue(glue_server, queue)
    port = free_port()
    container = f"clearml-glue-test-{uuid.uuid4().hex[:8]}"
    started = engine.podman(
        "run", "-d", "--name", container, "--network", "host", "--read-only", "--user", "10001:10001",
        "-v", f"{config}:/etc/clearml-glue:ro", *env_flags(server_env(glue_server)), name,
        "glue", "--queue", queue, "--namespace", "clearml", "--kubeconfig", "/etc/clearml-glue/kubeconfig",
        "--template-yaml", "/etc/clearml-glue/pod.yaml", "--credentials-secret", "clearml-credentials",
        "--agent-image", name,
        # The dev cluster's pods are host processes: their init container copies the bundle that the image's
        # own init container copied out above.
        "--agent-binary-path", str(folder / "bin" / "clearml-glue"),
        "--metrics-address", f"127.0.0.1:{port}", "--reconcile-interval", "2", timeout=60)
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not readyz(port):
            time.sleep(0.3)
        logs = lambda: engine.podman("logs", container).stderr[-4000:]  # noqa: E731
        assert readyz(port), f"/readyz never turned ready:\n{logs()}"

        task = enqueue_script_task(glue_server, queue, "image-hello", 'print("hello from the glue image")\n')
        deadline = time.time() + 120
        status = None
        while time.time() < deadline:
            status = glue_server.task_status(task)
            if status in ("completed", "failed", "stopped"):
                break
            time.sleep(0.5)
        pods = kubectl(kubeconfig, "get", "pods", "-A", "-o", "wide")
        assert status == "completed", f"task {task} is {status}\n{pods}\n{logs()}"
        assert "hello from the glue image" in console(glue_server, task)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert re.search(r"^clearml_glue_pods_created_total\S* [1-9]", metrics, re.M), metrics[:2000]
    finally:
        engine.podman("rm", "-f", "-t", "5", container, timeout=60)


def test_bundle_from_the_image_runs_a_task_in_a_debian_11_image(image, glue_server, agent_copy):
    engine, _, _ = image
    folder, copied, _ = agent_copy
    assert copied.returncode == 0, copied.stderr
    made = subprocess.run([str(SCRIPT), "base", BULLSEYE, "bullseye", "python3-minimal"],
                          capture_output=True, text=True, timeout=1200)
    assert made.returncode == 0, made.stderr[-3000:]
    libc = engine.podman("run", "--rm", "--network", "none", "--entrypoint", "/lib/x86_64-linux-gnu/libc.so.6", BULLSEYE,
                         timeout=60)
    have = glibc_version(re.search(r"release version (\S+)", libc.stdout).group(1))
    assert have == (2, 31), libc.stdout
    assert engine.podman("run", "--rm", "--network", "none", "--entrypoint", "python3", BULLSEYE, "--version",
                         timeout=60).returncode == 0

    # As in a task pod: the copied folder mounted at /clearml-agent, the agent run from it, nothing else added.
    task = enqueue_script_task(glue_server, "image-bullseye-q", "bullseye-hello", 'print("hello from bullseye")\n')
    env = {**server_env(glue_server), "PATH": PATH, "HOME": "/root", "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"}
    result = engine.podman("run", "--rm", "--network", "host", "-v", f"{folder}:/clearml-agent", *env_flags(env),
                           "--entrypoint", "/clearml-agent/bin/clearml-glue", BULLSEYE,
                           "execute", "--id", task, "--require-queue", timeout=180)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    # The bundle carries its own loader and glibc (KERNEL_FLOOR only), so glibc 2.31 must run it.
    assert (folder / "KERNEL_FLOOR").exists() and not (folder / "GLIBC_FLOOR").exists()
    assert result.returncode == 0, output
    status = glue_server.task_status(task)
    assert status == "completed", (status, output)
    assert "hello from bullseye" in console(glue_server, task), output
