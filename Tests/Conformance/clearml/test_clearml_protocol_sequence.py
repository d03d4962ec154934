"""The ClearML calls OUR glue and agent make, compared with those of the upstream glue and agent in the recorded
real traces (Tests/Fixtures/traces, format in its README): 05 `execute --require-queue` of a task that completes,
07 the same aborted from outside (`tasks.stop`) while it runs, 15 `execute --full-monitoring --require-queue` of a
script that exits 3, and 13 + 14 upstream's k8s glue parking a task and the pod's `execute --full-monitoring
--require-queue` running it.

Ours runs the same scenarios: the built binary's `execute --id T --require-queue` (and `glue` against `clearml-glue-dev
cluster`) against `clearml-glue-dev server --record-requests FILE`, which writes each request in the traces' shape.
Upstream's calls are those carrying `X-ClearML-Agent` (not the SDK inside the task, not the curl that aborts); ours
are those carrying `X-ClearML-Client: clearml-glue`, split between glue and pod agent by `X-ClearML-Worker`.

Per scenario and role (glue / agent), per endpoint: the body fields upstream sends vs ours (a json-lines batch
counts as the union of its events), whether ours makes the call at all, fewer or more calls where both sides make
a fixed number, and the order of the milestones (claim, started, first worker report, first console event,
result, unregister; for the glue register, park, unregister; the glue's park before the pod's claim). Every
difference must be in Tests/Fixtures/traces/protocol-differences.json with its reason, and every entry there must
still occur (entries marked `"timing": true` describe calls whose presence depends on timing and may be absent).
Fewer calls is the point; a field upstream sends and ours omits is a bug unless its entry says why not.
`PROTOCOL_DUMP=FILE` appends the recorded calls of each scenario to FILE, for writing an entry.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from clearml_support import start_server, stop_server, wait_for

TRACES = Path(__file__).resolve().parents[2] / "Fixtures" / "traces"
TABLE = TRACES / "protocol-differences.json"
KUBECTL = "kubectl"
OUR_CLIENT = "clearml-glue"
GLUE_WORKER = "protocol-glue"
FINAL = ("tasks.completed", "tasks.failed", "tasks.stopped")

# Calls both sides make a fixed number of times in these scenarios (not polls or periodic reports): a different
# count is a difference. Upstream: clearml_agent/commands/worker.py (execute, run_one_task) and
# clearml_agent/glue/k8s.py (K8sIntegration.run_one_task), clearml-agent 3.0.3.
COUNTED = {"tasks.started", "tasks.dequeue", "tasks.get_by_id", "tasks.edit", "tasks.enqueue", "tasks.stop",
           "queues.remove_task", "tasks.edit_hyper_params", "workers.register", "workers.unregister", *FINAL}

# (label, endpoints, which occurrence) in the order upstream makes them; only calls whose order in ours follows
# from its code (not from timing) are listed.
MILESTONES = {
    "agent": [("claim", ("tasks.dequeue",), "first"), ("started", ("tasks.started",), "first"),
              ("worker report", ("workers.status_report",), "first"), ("console", ("events.add_batch",), "first"),
              ("result", FINAL, "first"), ("unregister", ("workers.unregister",), "last")],
    "glue": [("register", ("workers.register",), "first"), ("park", ("tasks.enqueue",), "first"),
             ("unregister", ("workers.unregister",), "last")],
}


def endpoint(path):
    """`/v2.5/tasks.started` -> `tasks.started`."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def fields(body):
    if isinstance(body, dict):
        return set(body)
    if isinstance(body, list):
        return set().union(*(fields(item) for item in body))
    return set()


def header(record, name):
    return next((value for key, value in (record.get("headers") or {}).items() if key.lower() == name.lower()), None)


def upstream_calls(trace):
    """The upstream agent's (or glue's) calls of one trace, auth.login left out."""
    path = next(TRACES.glob(f"{trace}-*.jsonl"))
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(endpoint(r["path"]), r["body"]) for r in records
            if header(r, "X-ClearML-Agent") and endpoint(r["path"]) != "auth.login"]


def our_calls(records, role):
    """Our glue's (worker GLUE_WORKER) or agent's (any other worker) calls, auth.login left out."""
    calls = []
    for r in records:
        if header(r, "X-ClearML-Client") != OUR_CLIENT or endpoint(r["path"]) == "auth.login":
            continue
        is_glue = header(r, "X-ClearML-Worker") == GLUE_WORKER
        if is_glue == (role == "glue"):
            calls.append((endpoint(r["path"]), r["body"]))
    return calls


def milestone_order(calls, role):
    positions = {}
    for label, names, which in MILESTONES[role]:
        found = [i for i, (name, _) in enumerate(calls) if name in names]
        if found:
            positions[label] = found[0] if which == "first" else found[-1]
    return [label for label, _ in sorted(positions.items(), key=lambda item: item[1])]


def differences(upstream, ours, role):
    """{(role, endpoint, field, kind)}: what the table has to explain."""
    found = set()
    up_fields, our_fields, up_count, our_count = {}, {}, {}, {}
    for calls, by_fields, counts in ((upstream, up_fields, up_count), (ours, our_fields, our_count)):
        for name, body in calls:
            by_fields.setdefault(name, set()).update(fields(body))
            counts[name] = counts.get(name, 0) + 1
    for name in sorted(set(up_fields) | set(our_fields)):
        if name not in our_fields:
            found.add((role, name, "", "fewer calls"))
        elif name not in up_fields:
            found.add((role, name, "", "ours adds call"))
        else:
            found.update((role, name, field, "ours omits") for field in up_fields[name] - our_fields[name])
            found.update((role, name, field, "ours adds") for field in our_fields[name] - up_fields[name])
            if name in COUNTED and our_count[name] != up_count[name]:
                kind = "fewer calls" if our_count[name] < up_count[name] else "more calls"
                found.add((role, name, f"{up_count[name]} -> {our_count[name]}", kind))
    up_order, our_order = milestone_order(upstream, role), milestone_order(ours, role)
    shared = set(up_order) & set(our_order)
    up_shared, our_shared = [m for m in up_order if m in shared], [m for m in our_order if m in shared]
    if up_shared != our_shared:
        found.add((role, "order", " < ".join(our_shared), "order"))
    return found


def table():
    entries = json.loads(TABLE.read_text())
    for entry in entries:
        missing = {"traces", "role", "endpoint", "field", "kind", "reason"} - set(entry)
        assert not missing and entry["reason"].strip(), f"{TABLE.name}: entry {entry} lacks {sorted(missing) or 'a reason'}"
    return entries


def check_against_table(*runs):
    """Fails on a difference the table does not hold, and on an entry for the trace that no longer occurs.
    `runs`: (trace, differences) pairs, all checked before failing."""
    problems = [problem for trace, found in runs for problem in table_problems(trace, found)]
    assert not problems, "\n".join(problems)


def table_problems(trace, found):
    expected = {}
    for entry in table():
        if trace in entry["traces"]:
            key = (entry["role"], entry["endpoint"], entry["field"], entry["kind"])
            expected[key] = entry
    unexplained = sorted(found - set(expected))
    stale = sorted(key for key, entry in expected.items() if key not in found and not entry.get("timing"))
    message = []
    if unexplained:
        message.append(f"trace {trace}: differences from upstream not in {TABLE.name} (a field upstream sends and "
                       "ours omits is a bug; otherwise add an entry with the reason):\n  " +
                       "\n  ".join(json.dumps(dict(zip(("role", "endpoint", "field", "kind"), key))) for key in unexplained))
    if stale:
        message.append(f"trace {trace}: entries of {TABLE.name} that no longer occur (remove them, or drop "
                       f"\"{trace}\" from their traces):\n  " +
                       "\n  ".join(json.dumps(dict(zip(("role", "endpoint", "field", "kind"), key))) for key in stale))
    return message


class Recording:
    """`clearml-glue-dev server --record-requests`; `since(mark)` is the records written after `mark()`."""

    def __init__(self, server, path):
        self.server, self.path = server, path

    def mark(self):
        return self.path.stat().st_size

    def since(self, offset):
        with self.path.open("rb") as file:
            file.seek(offset)
            # Complete lines only: the server may be writing the last one while this reads.
            lines = file.read().split(b"\n")[:-1]
            records = [json.loads(line) for line in lines if line.strip()]
        if os.environ.get("PROTOCOL_DUMP"):
            with open(os.environ["PROTOCOL_DUMP"], "a") as out:
                out.write("=== since %d\n" % offset)
                for r in records:
                    out.write(json.dumps([r["path"], header(r, "X-ClearML-Client"), header(r, "X-ClearML-Worker"), r["status"], r["body"]])[:700] + "\n")
        return records


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("protocol-server")
    path = folder / "requests.jsonl"
    server = start_server(folder / "data", extra_args=("--record-requests", str(path)))
    yield Recording(server, path)
    stop_server(server)


def agent_env(server, home):
    home.mkdir(exist_ok=True)
    (home / "clearml.conf").write_text("api { }\nagent { }\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLEARML", "TRAINS", "K8S_GLUE"))}
    env.update({"HOME": str(home), "CLEARML_CONFIG_FILE": str(home / "clearml.conf"), "CLEARML_API_HOST": server.url,
                "CLEARML_WEB_HOST": server.url, "CLEARML_FILES_HOST": server.url,
                "CLEARML_API_ACCESS_KEY": server.access_key, "CLEARML_API_SECRET_KEY": server.secret_key,
                "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1", "CLEARML_WORKER_ID": "protocol-agent"})
    return env


def enqueued_task(server, name, script, queue):
    task = server.ok("tasks.create", {"name": name, "type": "training", "script": {
        "entry_point": "main.py", "working_dir": ".", "binary": "python3", "diff": textwrap.dedent(script)}})["id"]
    server.ok("tasks.enqueue", {"task": task, "queue_name": queue})
    return task


def console(server, task):
    events = server.ok("events.get_task_log", {"task": task, "batch_size": 10000, "order": "asc"})["events"]
    return "".join(event.get("msg", "") for event in events)


def execute(recording, tmp_path, script, extra=(), while_running=None, expect="completed"):
    """Our agent on one task; returns the records of its run."""
    server = recording.server
    task = enqueued_task(server, f"protocol-{tmp_path.name}", script, "protocol_q")
    mark = recording.mark()
    process = subprocess.Popen([os.environ["GLUE_BIN"], "execute", "--id", task, "--require-queue", *extra],
                               env=agent_env(server, tmp_path / "home"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        if while_running:
            while_running(server, task)
        output, _ = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    status = server.task_status(task)
    assert status == expect, (status, output[-3000:])
    return recording.since(mark)


SLEEPY = """
    import time
    print("running", flush=True)
    time.sleep(1)
    print("done", flush=True)
"""


def test_execute_of_a_task_that_completes_matches_trace_05(recording, tmp_path):
    records = execute(recording, tmp_path, SLEEPY)
    check_against_table(("05", differences(upstream_calls("05"), our_calls(records, "agent"), "agent")))


def test_execute_aborted_from_outside_matches_trace_07(recording, tmp_path):
    def abort(server, task):
        # Only once the script runs: an abort before ours' last tasks.started is lost (Tests/README.md, "Found while
        # writing these tests"), and upstream's trace 07 aborts a running script too.
        assert wait_for(lambda: "SCRIPT-" + "RUNNING" in console(server, task), timeout=60), "the script never printed"
        server.ok("tasks.stop", {"task": task})

    records = execute(recording, tmp_path, """
        import time
        print("SCRIPT-" + "RUNNING", flush=True)
        time.sleep(120)
    """, while_running=abort, expect="stopped")
    check_against_table(("07", differences(upstream_calls("07"), our_calls(records, "agent"), "agent")))


def test_execute_of_a_failing_script_matches_trace_15(recording, tmp_path):
    records = execute(recording, tmp_path, """
        import sys, time
        print("about to fail", flush=True)
        time.sleep(1)
        sys.exit(3)
    """, extra=["--full-monitoring"], expect="failed")
    check_against_table(("15", differences(upstream_calls("15"), our_calls(records, "agent"), "agent")))


def start_cluster(folder):
    log = open(folder / "cluster.log", "w")
    process = subprocess.Popen([os.environ["GLUE_DEV_BIN"], "cluster", "--port", "0", "--data-dir", str(folder)],
                               stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if line.startswith("kubeconfig: "):
            return process, line.split(": ", 1)[1].strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"clearml-glue-dev cluster did not print its kubeconfig: {(folder / 'cluster.log').read_text()[-3000:]}")


def stop_process(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_glue_dispatch_into_a_pod_matches_traces_13_and_14(recording):
    server = recording.server
    # Pod sandboxes live under the cluster's folder; keep it outside pytest's 0700 temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="protocol-cluster-"))
    os.chmod(folder, 0o755)
    cluster, kubeconfig = start_cluster(folder)
    glue = glue_log = None
    try:
        def kubectl(*args):
            result = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
        kubectl("create", "namespace", "clearml")
        kubectl("-n", "clearml", "create", "secret", "generic", "clearml-credentials",
                f"--from-literal=CLEARML_API_ACCESS_KEY={server.access_key}",
                f"--from-literal=CLEARML_API_SECRET_KEY={server.secret_key}")
        template = folder / "template.yaml"
        template.write_text(textwrap.dedent("""\
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - name: clearml-task
                env:
                - {name: CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL, value: "1"}
            """))
        # As in trace 13, the served queue and the pending queue exist before the glue starts.
        server.ok("queues.create", {"name": "protocol_glue_q"})
        server.ok("queues.create", {"name": "k8s_scheduler", "system_tags": ["k8s-glue"]})
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith(("CLEARML", "TRAINS", "K8S_GLUE"))}
        env.update({"HOME": str(folder), "CLEARML_API_HOST": server.url, "CLEARML_WEB_HOST": server.url,
                    "CLEARML_FILES_HOST": server.url, "CLEARML_API_ACCESS_KEY": server.access_key,
                    "CLEARML_API_SECRET_KEY": server.secret_key, "CLEARML_WORKER_ID": GLUE_WORKER})
        mark = recording.mark()
        glue_log = open(folder / "glue.log", "w")
        glue = subprocess.Popen(
            [os.environ["GLUE_BIN"], "glue", "--queue", "protocol_glue_q", "--namespace", "clearml",
             "--kubeconfig", kubeconfig, "--template-yaml", str(template), "--credentials-secret", "clearml-credentials",
             "--agent-mode", "injected", "--agent-image", "clearml-glue:dev", "--agent-binary-path", os.environ["GLUE_BIN"],
             "--metrics-address", f"127.0.0.1:{port}"],
            env=env, stdout=glue_log, stderr=subprocess.STDOUT)
        logs = lambda: (folder / "glue.log").read_text()[-4000:]  # noqa: E731
        assert wait_for(lambda: readyz(port) or glue.poll() is not None, timeout=60) and glue.poll() is None, logs()
        task = enqueued_task(server, "protocol-glue", SLEEPY, "protocol_glue_q")
        final = wait_for(lambda: server.task_status(task) in ("completed", "failed", "stopped"), timeout=120)
        assert final and server.task_status(task) == "completed", (server.task_status(task), logs())
        # The pod's agent unregisters after the task is final; the glue unregisters on SIGTERM.
        agent_gone = lambda: [r for r in recording.since(mark) if endpoint(r["path"]) == "workers.unregister"  # noqa: E731
                              and (header(r, "X-ClearML-Worker") or "").startswith(f"{GLUE_WORKER}:")]
        assert wait_for(agent_gone, timeout=60), "the pod's agent never unregistered"
        stop_process(glue)
        assert glue.returncode == 0, logs()
        records = recording.since(mark)
    finally:
        if glue is not None:
            stop_process(glue)
            glue_log.close()
        stop_process(cluster)
        shutil.rmtree(folder, ignore_errors=True)
    ours_glue, ours_agent = our_calls(records, "glue"), our_calls(records, "agent")
    assert ours_glue and ours_agent, f"no calls recorded for the glue or its pod: {len(records)} records"
    found = differences(upstream_calls("13"), ours_glue, "glue")
    # The handover: the glue parks the task before the pod's agent claims it (13 then 14 upstream).
    handover = [endpoint(r["path"]) for r in records if header(r, "X-ClearML-Client") == OUR_CLIENT and
                endpoint(r["path"]) in ("tasks.enqueue", "tasks.dequeue")]
    assert handover.index("tasks.enqueue") < handover.index("tasks.dequeue"), handover
    check_against_table(("13", found), ("14", differences(upstream_calls("14"), ours_agent, "agent")))
