"""Helpers for the clearml conformance suites: start `clearml-glue-dev server`, call its API, run the real clients."""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


class GlueServer:
    def __init__(self, url, access_key, secret_key, data_dir, process):
        self.url = url
        self.access_key = access_key
        self.secret_key = secret_key
        self.data_dir = data_dir
        self.process = process

    def call(self, endpoint, body=None, version="2.31", token=None, raw=False):
        """One API call with Basic auth (or a Bearer token); returns (status, envelope)."""
        data = json.dumps(body or {}).encode()
        request = urllib.request.Request(f"{self.url}/v{version}/{endpoint}" if version else f"{self.url}/{endpoint}",
                                         data=data, method="POST", headers={"Content-Type": "application/json"})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        else:
            basic = base64.b64encode(f"{self.access_key}:{self.secret_key}".encode()).decode()
            request.add_header("Authorization", f"Basic {basic}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def ok(self, endpoint, body=None):
        status, envelope = self.call(endpoint, body)
        assert status == 200, (endpoint, envelope["meta"])
        return envelope["data"]

    def task_status(self, task_id):
        return self.ok("tasks.get_by_id", {"task": task_id})["task"]["status"]


def stop_server(server, timeout=15):
    """Stops a server from start_server: SIGTERM, then SIGKILL if it has not exited within `timeout` s."""
    server.process.terminate()
    try:
        server.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()


def start_server(data_dir, extra_args=()):
    binary = os.environ.get("GLUE_DEV_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("GLUE_DEV_BIN is not set to a built clearml-glue-dev binary (Tests/Conformance/conftest.py builds one)")
    process = subprocess.Popen(
        [binary, "server", "--port", "0", "--data-dir", str(data_dir), *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "CLEARML_API_ACCESS_KEY": "", "CLEARML_API_SECRET_KEY": ""},
    )
    url = access = secret = None
    deadline = time.time() + 60
    while time.time() < deadline and not (url and access):
        line = process.stdout.readline()
        if not line:
            break
        if match := re.search(r"listening on (http://\S+)", line):
            url = match.group(1)
        if match := re.search(r"credentials access_key=(\S+) secret_key=(\S+)", line):
            access, secret = match.group(1), match.group(2)
    if not (url and access):
        process.kill()
        raise RuntimeError("clearml-glue-dev server did not report its port and keys")
    # Keep draining output so the server never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return GlueServer(url, access, secret, data_dir, process)




def run_python(code, env, timeout=120, cwd=None):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def wait_for(predicate, timeout=60, interval=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def make_git_repo(path, script_name, script):
    path.mkdir(parents=True, exist_ok=True)
    (path / script_name).write_text(script)
    git = shutil.which("git")
    if not git:
        pytest.fail("git is not installed (scripts/install-deps installs it)")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "task code"]):
        subprocess.run([git, *args], cwd=path, check=True, env=env, capture_output=True)
    return path
