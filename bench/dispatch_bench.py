"""Glue dispatch benchmark: `clearml-glue glue` (and, side by side, upstream clearml-agent's K8sIntegration)
against `clearml-glue-dev server` + `clearml-glue-dev cluster` on loopback. Started by bench/dispatch.sh, which owns
the server and the cluster; this script owns every glue process it starts and stops them on any exit.

Phases (ours): idle cost -> enqueue->pod latency over N tasks one at a time -> idle cost with those pods ->
backlog of B tasks enqueued while the glue is stopped, drained by a fresh glue -> a second backlog of B (so
2*B pods live), RSS with them. Upstream: latency over a few tasks, tasks/s over a small backlog.
"Pod created" is the ADDED event of a watch on the cluster API (`/api/v1/namespaces/NS/pods?watch=1`).
"""
import argparse
import base64
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from urllib.parse import urlparse

CLK_TCK = os.sysconf("SC_CLK_TCK")
PREFIX = "clearml-id-"


class ClearML:
    def __init__(self, url, key, secret):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.connection = None
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}

    def call(self, endpoint, body):
        for attempt in range(3):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request("POST", f"/v2.31/{endpoint}", body=json.dumps(body), headers=self.headers)
                response = self.connection.getresponse()
                payload = json.loads(response.read())
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.status != 200:
                raise RuntimeError(f"{endpoint}: {payload.get('meta')}")
            return payload["data"]


class PodWatch(threading.Thread):
    """First-seen (ADDED) monotonic time of every pod in the namespace, from a streamed watch."""

    def __init__(self, kubeconfig, namespace):
        super().__init__(daemon=True)
        text = open(kubeconfig).read()
        field = lambda name: next(line.split(":", 1)[1].strip() for line in text.splitlines()
                                  if line.strip().startswith(name + ":"))
        self.server = urlparse(field("server"))
        self.token = field("token")
        self.context = ssl.create_default_context(cadata=base64.b64decode(field("certificate-authority-data")).decode())
        self.context.check_hostname = False
        self.namespace = namespace
        self.seen = {}
        self.condition = threading.Condition()
        self.stopping = False
        self.reconnects = 0

    def run(self):
        while not self.stopping:
            try:
                connection = http.client.HTTPSConnection(self.server.hostname, self.server.port, context=self.context, timeout=3600)
                connection.request("GET", f"/api/v1/namespaces/{self.namespace}/pods?watch=1&timeoutSeconds=3000",
                                   headers={"Authorization": f"Bearer {self.token}"})
                response = connection.getresponse()
                while not self.stopping:
                    line = response.readline()
                    if not line:
                        break
                    now = time.monotonic()
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if event.get("type") != "ADDED":
                        continue
                    name = event["object"]["metadata"]["name"]
                    with self.condition:
                        if name not in self.seen:
                            self.seen[name] = now
                            self.condition.notify_all()
            except Exception as error:  # noqa: BLE001 - reconnect on anything
                print(f"# watch error, reconnecting: {error}", file=sys.stderr)
            self.reconnects += 1
            time.sleep(0.05)

    def wait_for(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                missing = [n for n in names if n not in self.seen]
                if not missing:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.5))

    def count(self, names):
        with self.condition:
            return sum(1 for n in names if n in self.seen)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid, children=False):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime (waited-for children, e.g. kubectl)
    return ticks * 1000.0 / CLK_TCK


def proc_status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0  # MB
    return float("nan")


def rss_split(pid):
    return "RSS %.1f MB (anon %.1f, file %.1f), VmHWM %.1f MB" % tuple(
        proc_status(pid, k) for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"))


def others_cpu(args):
    return {name: proc_stat(pid) for name, pid in (("server", args.server_pid), ("cluster", args.cluster_pid)) if pid}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def load():
    return "load %.1f/%.1f/%.1f" % os.getloadavg()


class Glue:
    """One `clearml-glue glue` process."""

    def __init__(self, args, queue, tag, env_extra=None):
        self.metrics_port = free_port()
        env = dict(os.environ, CLEARML_API_HOST=args.url, CLEARML_API_ACCESS_KEY=args.key,
                   CLEARML_API_SECRET_KEY=args.secret, CLEARML_WORKER_ID="bench-glue",
                   CLEARML_DOCKER_IMAGE="bench/sleep:1", CLEARML_CONFIG_FILE=os.path.join(args.data, "empty.conf"))
        env.pop("CLEARML_AGENT_QUEUE_POLL_FREQ_SEC", None)
        env.update(env_extra or {})
        self.log = open(os.path.join(args.data, f"glue-{tag}.log"), "w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [args.glue, "glue", "--queue", queue, "--namespace", args.namespace, "--kubeconfig", args.kubeconfig,
             "--template-yaml", args.template, "--agent-mode", "image-entrypoint",
             "--metrics-address", f"127.0.0.1:{self.metrics_port}", "--create-queue", "--log-level", "notice"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING.append(self.process)
        self.pid = self.process.pid

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=10) as response:
            return response.status, response.read().decode()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"glue exited with {self.process.returncode}; see {self.log.name}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except Exception:  # noqa: BLE001 - not listening yet
                pass
            time.sleep(0.05)
        raise RuntimeError(f"glue not ready after {timeout}s; see {self.log.name}")

    def metrics(self):
        calls, pods, pulled, buckets = {}, 0.0, 0.0, []
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith("clearml_glue_dispatch_seconds_bucket{"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
            if line.startswith("clearml_api_request_seconds_count{"):
                labels, value = line.rsplit(" ", 1)
                endpoint = labels.split('endpoint="', 1)[1].split('"', 1)[0]
                calls[endpoint] = calls.get(endpoint, 0.0) + float(value)
            elif line.startswith("clearml_glue_pods_created_total"):
                pods = float(line.rsplit(" ", 1)[1])
            elif line.startswith("clearml_glue_tasks_pulled_total"):
                pulled = float(line.rsplit(" ", 1)[1])
        return {"calls": calls, "pods": pods, "pulled": pulled, "dispatch": sorted(buckets)}

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


RUNNING = []


def kill_all(*_):
    for process in RUNNING:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM) if getattr(process, "own_group", False) else process.terminate()
            except ProcessLookupError:
                pass
    for process in RUNNING:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def bucket_quantile(buckets, fraction):
    """Upper bound of the histogram bucket holding the given quantile (the glue's own pop -> created)."""
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= fraction * total:
            return f"<= {bound * 1000:.0f} ms" if bound != float("inf") else "> last bucket"
    return "-"


def call_delta(before, after):
    endpoints = set(before["calls"]) | set(after["calls"])
    delta = {e: after["calls"].get(e, 0) - before["calls"].get(e, 0) for e in endpoints}
    return {e: v for e, v in sorted(delta.items(), key=lambda kv: -kv[1]) if v > 0}


def fmt_calls(delta, per):
    return ", ".join(f"{e} {v / per:.2f}" for e, v in delta.items())


def create_tasks(client, count, tag):
    return [client.call("tasks.create", {"name": f"{tag}-{i}", "type": "training"})["id"] for i in range(count)]


def enqueue_backlog(args, queue_id, count, tag):
    """Creates and enqueues `count` tasks with 4 client threads; returns their ids."""
    ids = [None] * count
    def work(offset):
        client = ClearML(args.url, args.key, args.secret)
        for i in range(offset, count, 4):
            task = client.call("tasks.create", {"name": f"{tag}-{i}", "type": "training"})["id"]
            client.call("tasks.enqueue", {"task": task, "queue": queue_id})
            ids[i] = task
    threads = [threading.Thread(target=work, args=(o,)) for o in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ids), "backlog enqueue failed"
    return ids


def latency_run(client, watch, queue_id, tasks, timeout=60):
    latencies = []
    for task in tasks:
        time.sleep(random.uniform(0.5, 1.5))
        client.call("tasks.enqueue", {"task": task, "queue": queue_id})
        returned = time.monotonic()
        if not watch.wait_for([PREFIX + task], timeout):
            raise RuntimeError(f"no pod for task {task} within {timeout}s")
        latencies.append(watch.seen[PREFIX + task] - returned)
    return latencies


def drain(watch, names, started, timeout):
    if not watch.wait_for(names, timeout):
        raise RuntimeError(f"only {watch.count(names)}/{len(names)} pods after {timeout}s")
    times = sorted(watch.seen[n] for n in names)
    return times[0], times[-1], times


def main():
    parser = argparse.ArgumentParser()
    for name in ("url", "key", "secret", "glue", "kubeconfig", "template", "data", "python", "launcher", "server-log"):
        parser.add_argument(f"--{name}", required=name not in ("python", "launcher", "server-log"))
    parser.add_argument("--namespace", default="clearml")
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--live-pods", type=int, default=2000)
    parser.add_argument("--upstream-tasks", type=int, default=15)
    parser.add_argument("--upstream-backlog", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--queues", help="comma list of queue counts (e.g. 1,10,100): only the queue-scaling phase")
    parser.add_argument("--build", default="?")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--cluster-pid", type=int)
    args = parser.parse_args()
    open(os.path.join(args.data, "empty.conf"), "w").close()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    random.seed(5)
    try:
        run(args)
    finally:
        kill_all()


def run(args):
    client = ClearML(args.url, args.key, args.secret)
    watch = PodWatch(args.kubeconfig, args.namespace)
    watch.start()
    results = {}
    notes = []
    if args.queues:
        queue_scaling(args, client, watch, [int(n) for n in args.queues.split(",") if n.strip()])
        return

    # --- ours: idle cost, latency, idle cost with pods -------------------------------------------------------
    glue = Glue(args, "bench", "a")
    glue.wait_ready()
    queue_id = client.call("queues.get_all", {"name": "^bench$"})["queues"][0]["id"]
    time.sleep(2)
    before, cpu0 = glue.metrics(), proc_stat(glue.pid)
    time.sleep(args.idle_seconds)
    after, cpu1 = glue.metrics(), proc_stat(glue.pid)
    idle = call_delta(before, after)
    results["rss0"] = rss_split(glue.pid)
    print(f"# idle glue, no pods: CPU {(cpu1 - cpu0) / args.idle_seconds:.1f} ms/s; {results['rss0']}")
    results["idle"] = sum(idle.values()) / args.idle_seconds
    results["idle_poll"] = idle.get("queues.get_next_task", 0) / args.idle_seconds
    print(f"# idle, no pods ({load()}): {sum(idle.values()) / args.idle_seconds:.2f} calls/s: {fmt_calls(idle, args.idle_seconds)}")

    tasks = create_tasks(client, args.tasks, "lat")
    before, cpu0 = glue.metrics(), proc_stat(glue.pid)
    print(f"# latency: {args.tasks} tasks one at a time, 0.5-1.5 s gaps ({load()})", file=sys.stderr)
    latencies = latency_run(client, watch, queue_id, tasks)
    after, cpu1 = glue.metrics(), proc_stat(glue.pid)
    results["lat"] = latencies
    print(f"# latency phase ({load()}): min {min(latencies):.3f} max {max(latencies):.3f} s; "
          f"glue CPU {cpu1 - cpu0:.0f} ms over the phase; glue dispatch histogram (pop -> created) p50 "
          f"{bucket_quantile(after['dispatch'], .5)}, p99 {bucket_quantile(after['dispatch'], .99)}; "
          f"calls/task incl. idle polling {sum(call_delta(before, after).values()) / len(tasks):.2f}")
    time.sleep(2)
    before, cpu0 = glue.metrics(), proc_stat(glue.pid)
    time.sleep(args.idle_seconds)
    after, cpu1 = glue.metrics(), proc_stat(glue.pid)
    idle_pods = call_delta(before, after)
    print(f"# idle glue, {args.tasks} live pods: CPU {(cpu1 - cpu0) / args.idle_seconds:.1f} ms/s; {rss_split(glue.pid)}")
    results["idle_pods"] = sum(idle_pods.values()) / args.idle_seconds
    print(f"# idle, {args.tasks} live pods ({load()}): {results['idle_pods']:.2f} calls/s: {fmt_calls(idle_pods, args.idle_seconds)}")
    results["hwm_a"] = proc_status(glue.pid, "VmHWM")
    glue.stop()

    # --- upstream --------------------------------------------------------------------------------------------
    if args.launcher and args.upstream_tasks > 0:
        try:
            results["up"] = upstream(args, client, watch)
        except Exception as error:  # noqa: BLE001 - reported, ours still runs
            print(f"# upstream failed: {error}")
            notes.append(f"upstream live run failed: {error}")

    # --- ours: backlog, then a second backlog so 2*B pods live -----------------------------------------------
    backlogs = []
    for index in range(max(1, args.live_pods // args.backlog)):
        ids = enqueue_backlog(args, queue_id, args.backlog, f"backlog{index}")
        names = [PREFIX + t for t in ids]
        stack0 = others_cpu(args)
        glue = Glue(args, "bench", f"backlog{index}")
        started = glue.started
        print(f"# backlog {index + 1}: {args.backlog} tasks, glue started ({load()})", file=sys.stderr)
        first, last, times = drain(watch, names, started, timeout=600)
        # the create responses may still be in flight: wait for the glue's own count before reading CPU and calls
        deadline = time.monotonic() + 10
        while glue.metrics()["pods"] < len(names) and time.monotonic() < deadline:
            time.sleep(0.02)
        cpu = proc_stat(glue.pid)
        stack1 = others_cpu(args)
        stack = {k: (stack1[k] - stack0[k]) / len(names) for k in stack1}
        cut = min(100, len(times) - 1)
        burst_rate = cut / (times[cut] - times[0]) if times[cut] > times[0] else float("nan")
        after_rate = (len(times) - 1 - cut) / (times[-1] - times[cut]) if times[-1] > times[cut] else float("nan")
        metrics = glue.metrics()
        loadavg = load()
        time.sleep(5)
        rss = [proc_status(glue.pid, "VmRSS")]
        for _ in range(4):
            time.sleep(2)
            rss.append(proc_status(glue.pid, "VmRSS"))
        hwm = proc_status(glue.pid, "VmHWM")
        before, cpu0 = glue.metrics(), proc_stat(glue.pid)
        time.sleep(args.idle_seconds)
        idle_after = call_delta(before, glue.metrics())
        idle_cpu = (proc_stat(glue.pid) - cpu0) / args.idle_seconds
        split = rss_split(glue.pid)
        glue.stop()
        already = sum(1 for line in open(glue.log.name) if "pod already exists" in line)
        total_calls = sum(metrics["calls"].values())
        backlogs.append({
            "tasks": args.backlog, "live": watch.count(list(watch.seen)), "wall": last - started, "steady": last - first,
            "first": first - started, "cpu": cpu, "calls": total_calls, "by": metrics["calls"], "creates": metrics["pods"],
            "already": already, "rss": max(rss), "rss_all": rss, "hwm": hwm, "load": loadavg,
            "idle_live": sum(idle_after.values()) / args.idle_seconds, "idle_live_by": idle_after,
            "burst_rate": burst_rate, "after_rate": after_rate,
            "dispatch": (bucket_quantile(metrics["dispatch"], .5), bucket_quantile(metrics["dispatch"], .99)),
        })
        b = backlogs[-1]
        print(f"# backlog {index + 1} ({loadavg}): {b['tasks']} pods in {b['wall']:.2f} s from glue start "
              f"(first pod at {b['first']:.2f} s, {b['tasks'] / b['steady']:.1f} tasks/s first->last); "
              f"CPU {cpu:.0f} ms; creates {metrics['pods']:.0f} (+{already} AlreadyExists); "
              f"{len(watch.seen)} pods in the namespace; RSS {', '.join(f'{r:.1f}' for r in rss)} MB, VmHWM {hwm:.1f} MB")
        print(f"#   pods 1-{cut + 1}: {burst_rate:.1f}/s, pods {cut + 1}-{len(times)}: {after_rate:.1f}/s; glue dispatch "
              f"histogram (pop -> created) p50 {b['dispatch'][0]}, p99 {b['dispatch'][1]}")
        print(f"#   ClearML calls per task: {total_calls / b['tasks']:.2f}: {fmt_calls(metrics['calls'], b['tasks'])}")
        print(f"#   idle with {len(watch.seen)} live pods: {b['idle_live']:.2f} calls/s: {fmt_calls(idle_after, args.idle_seconds)}; "
              f"glue CPU {idle_cpu:.1f} ms/s; {split}")
        print(f"#   CPU per task while draining: glue {cpu / len(names):.2f} ms, "
              + ", ".join(f"{k} {v:.2f} ms" for k, v in stack.items())
              + f"; wall per task {b['wall'] * 1000 / len(names):.2f} ms on 2 cores")
    results["backlogs"] = backlogs
    table(args, results, notes)


def queue_scaling(args, client, watch, counts):
    """Issue #15 item 5: per number of served queues, a fresh glue (its own worker id, so earlier pods are not
    its own): idle ClearML calls/s over --idle-seconds, then enqueue->pod latency over --tasks tasks one at a
    time, spread over the queues round-robin (the last queue included), 0.5-1.5 s gaps."""
    rows = []
    for count in counts:
        names = [f"bench-q{count}-{i + 1}" for i in range(count)]
        glue = Glue(args, ",".join(names), f"q{count}", {"CLEARML_WORKER_ID": f"bench-glue-q{count}"})
        try:
            glue.wait_ready(timeout=120)
            ids = {q["name"]: q["id"] for q in client.call("queues.get_all", {"name": f"^bench-q{count}-", "only_fields": ["id", "name"]})["queues"]}
            time.sleep(2)
            before, cpu0 = glue.metrics(), proc_stat(glue.pid)
            time.sleep(args.idle_seconds)
            after, cpu1 = glue.metrics(), proc_stat(glue.pid)
            idle = call_delta(before, after)
            rate = sum(idle.values()) / args.idle_seconds
            print(f"# {count} queues, idle ({load()}): {rate:.2f} calls/s: {fmt_calls(idle, args.idle_seconds)}; "
                  f"glue CPU {(cpu1 - cpu0) / args.idle_seconds:.1f} ms/s")
            tasks = create_tasks(client, args.tasks, f"q{count}-lat")
            latencies = []
            for index, task in enumerate(tasks):
                queue = names[(index * 7 + count - 1) % count]  # starts on the last queue, then spreads
                latencies += latency_run(client, watch, ids[queue], [task])
            p50, p90 = percentile(latencies, .5), percentile(latencies, .9)
            print(f"# {count} queues, latency ({load()}): p50 {p50:.3f} s, p90 {p90:.3f} s, max {max(latencies):.3f} s over {len(latencies)} tasks")
            rows.append((count, rate, idle, p50, p90, max(latencies), len(latencies)))
        finally:
            glue.stop()
    print()
    print(f"glue {args.glue} ({args.build} build), {os.cpu_count()} cores, {load()} at the end; idle over {args.idle_seconds:.0f} s")
    print("| queues | idle ClearML calls/s (target <= 4) | by endpoint | enqueue->pod p50 (target <= 0.25 s) | p90 | max | tasks |")
    print("|---|---|---|---|---|---|---|")
    for count, rate, idle, p50, p90, worst, n in rows:
        print(f"| {count} | {rate:.2f} {'PASS' if rate <= 4 else 'MISS'} | {fmt_calls(idle, args.idle_seconds)} | "
              f"{p50:.3f} s {'PASS' if p50 <= .25 else 'MISS'} | {p90:.3f} s | {worst:.3f} s | {n} |")


def count_calls(path, offset):
    """ClearML requests the server logged (debug level) after byte `offset`, by endpoint."""
    calls = {}
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            match = re.search(r" (?:GET|POST) /(\S+) -> ", line)  # the SDK sends most calls as GET
            if match:
                endpoint = match.group(1).rsplit("/", 1)[-1]
                calls[endpoint] = calls.get(endpoint, 0) + 1
    return dict(sorted(calls.items(), key=lambda kv: -kv[1]))


def upstream(args, client, watch):
    """Upstream K8sIntegration (clearml-agent from the conformance venv) with kubectl on PATH."""
    queue = "bench-upstream"
    env = dict(os.environ, CLEARML_API_HOST=args.url, CLEARML_API_ACCESS_KEY=args.key, CLEARML_API_SECRET_KEY=args.secret,
               CLEARML_WORKER_ID="bench-upstream", CLEARML_DOCKER_IMAGE="bench/sleep:1", KUBECONFIG=args.kubeconfig,
               CLEARML_CONFIG_FILE=os.path.join(args.data, "empty.conf"), K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT="1",
               CLEARML_K8S_GLUE_START_AGENT_SCRIPT_PATH=os.path.join(args.data, "upstream_start.sh"),
               HOME=os.path.join(args.data, "upstream-home"), PYTHONUNBUFFERED="1")
    env.pop("CLEARML_AGENT_QUEUE_POLL_FREQ_SEC", None)
    os.makedirs(env["HOME"], exist_ok=True)
    # kubectl shim: counts upstream's kubectl processes, then execs the real one (same process)
    shim_dir = os.path.join(args.data, "shim")
    os.makedirs(shim_dir, exist_ok=True)
    real = subprocess.run(["bash", "-c", "command -v kubectl"], capture_output=True, text=True).stdout.strip() or "kubectl"
    counter = os.path.join(args.data, "kubectl.count")
    with open(os.path.join(shim_dir, "kubectl"), "w") as f:
        f.write(f'#!/bin/sh\necho "$1" >> {counter}\nexec {real} "$@"\n')
    os.chmod(os.path.join(shim_dir, "kubectl"), 0o755)
    env["PATH"] = shim_dir + os.pathsep + env.get("PATH", "")
    queue_id = client.call("queues.create", {"name": queue})["id"]
    out = {}

    def start(tag):
        log = open(os.path.join(args.data, f"upstream-{tag}.log"), "w")
        process = subprocess.Popen([args.python, args.launcher, "--queue", queue, "--namespace", args.namespace,
                                    "--template-yaml", args.template, "--pending-queue", "k8s_scheduler_upstream"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        process.own_group = True
        RUNNING.append(process)
        return process, log

    def stop(process, log):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()

    process, log = start("latency")
    # ready: it has registered as a worker
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        workers = client.call("workers.get_all", {}).get("workers", [])
        if any(w.get("id", "").startswith("bench-upstream") for w in workers):
            break
        if process.poll() is not None:
            raise RuntimeError(f"upstream exited with {process.returncode}; see {log.name}")
        time.sleep(0.2)
    else:
        stop(process, log)
        raise RuntimeError(f"upstream did not register within 90 s; see {log.name}")
    time.sleep(2)
    mark, cpu0 = (os.path.getsize(args.server_log) if args.server_log else 0), proc_stat(process.pid, children=True)
    time.sleep(args.idle_seconds)
    idle_calls = count_calls(args.server_log, mark) if args.server_log else {}
    out["idle"] = sum(idle_calls.values()) / args.idle_seconds
    print(f"# upstream idle ({load()}): {out['idle']:.2f} ClearML calls/s: {fmt_calls(idle_calls, args.idle_seconds)}; "
          f"CPU with kubectl {(proc_stat(process.pid, children=True) - cpu0) / args.idle_seconds:.1f} ms/s")
    tasks = create_tasks(client, args.upstream_tasks, "up-lat")
    print(f"# upstream latency: {len(tasks)} tasks ({load()})", file=sys.stderr)
    try:
        out["lat"] = latency_run(client, watch, queue_id, tasks, timeout=60)
    finally:
        out["hwm_lat"] = proc_status(process.pid, "VmHWM") if process.poll() is None else float("nan")
        stop(process, log)
    print(f"# upstream latency ({load()}): p50 {percentile(out['lat'], .5):.3f} s, min {min(out['lat']):.3f}, max {max(out['lat']):.3f}")

    ids = enqueue_backlog(args, queue_id, args.upstream_backlog, "up-backlog")
    names = [PREFIX + t for t in ids]
    server_mark = os.path.getsize(args.server_log) if args.server_log else 0
    kubectl_mark = os.path.getsize(counter) if os.path.exists(counter) else 0
    process, log = start("backlog")
    started = time.monotonic()
    cpu_samples = []
    try:
        waiter = threading.Thread(target=lambda: out.setdefault("drain", drain(watch, names, started, 600)), daemon=True)
        waiter.start()
        while waiter.is_alive():
            cpu_samples.append((proc_stat(process.pid, children=True), proc_status(process.pid, "VmHWM")))
            waiter.join(0.2)
        if "drain" not in out:
            raise RuntimeError("upstream backlog did not drain")
        first, last, _ = out["drain"]
        cpu_self, cpu_all = proc_stat(process.pid), proc_stat(process.pid, children=True)
        calls = count_calls(args.server_log, server_mark) if args.server_log else {}
        with open(counter, "rb") as f:
            f.seek(kubectl_mark)
            kubectl = f.read().decode().split()
        out["backlog"] = {"calls": dict(sorted(calls.items(), key=lambda kv: -kv[1])), "kubectl": kubectl,
                          "tasks": len(ids), "wall": last - started, "steady": last - first, "first": first - started,
                          "cpu_self": cpu_self, "cpu_all": cpu_all, "hwm": proc_status(process.pid, "VmHWM"), "load": load()}
    finally:
        stop(process, log)
    b = out["backlog"]
    print(f"# upstream backlog ({b['load']}): {b['tasks']} pods in {b['wall']:.2f} s from start (first at {b['first']:.2f} s, "
          f"{b['tasks'] / b['steady']:.2f} tasks/s first->last); CPU {b['cpu_self']:.0f} ms python, {b['cpu_all']:.0f} ms with "
          f"kubectl children (includes its start-up); VmHWM {b['hwm']:.1f} MB")
    print(f"#   upstream ClearML calls per task (server log, start-up included): {sum(b['calls'].values()) / b['tasks']:.2f}: "
          f"{fmt_calls(b['calls'], b['tasks'])}")
    verbs = {}
    for verb in b["kubectl"]:
        verbs[verb] = verbs.get(verb, 0) + 1
    print(f"#   upstream kubectl processes per task: {len(b['kubectl']) / b['tasks']:.2f} ({verbs})")
    return out


def table(args, r, notes):
    lat = r["lat"]
    p50, p90, p99 = (percentile(lat, f) for f in (.5, .9, .99))
    backlog = r["backlogs"][0]
    tput = backlog["tasks"] / backlog["wall"]
    last = r["backlogs"][-1]
    total_tasks = sum(b["tasks"] for b in r["backlogs"])
    cpu_task = sum(b["cpu"] for b in r["backlogs"]) / total_tasks
    calls_task = sum(b["calls"] for b in r["backlogs"]) / total_tasks
    creates_task = sum(b["creates"] + b["already"] for b in r["backlogs"]) / total_tasks
    hwm = max([r["hwm_a"]] + [b["hwm"] for b in r["backlogs"]])
    up = r.get("up")
    rec = {"p50": 3.95, "tput": 3.4, "calls": 11, "rss": 55, "cpu": 87}
    mark = lambda ok: "PASS" if ok else "MISS"

    def ratio(ours, theirs, lower_better=True):
        if theirs is None or ours is None or ours == 0 or theirs == 0:
            return "-"
        factor = theirs / ours if lower_better else ours / theirs
        return f"{factor:.1f}x better" if factor >= 1 else f"{1 / factor:.1f}x worse"

    rows = []
    up_p50 = percentile(up["lat"], .5) if up and "lat" in up else None
    up_b = up.get("backlog") if up else None
    up_tput = up_b["tasks"] / up_b["wall"] if up_b else None
    up_cpu = up_b["cpu_all"] / up_b["tasks"] if up_b else None
    rows.append(("enqueue->pod p50", f"{p50:.3f} s", "<= 0.25 s", mark(p50 <= .25),
                 f"{up_p50:.2f} s" if up_p50 else "-", f"{rec['p50']} s", ratio(p50, up_p50), ratio(p50, rec["p50"])))
    rows.append(("enqueue->pod p90", f"{p90:.3f} s", "<= 0.6 s", mark(p90 <= .6),
                 f"{percentile(up['lat'], .9):.2f} s" if up_p50 else "-", "-", "-", "-"))
    rows.append(("enqueue->pod p99", f"{p99:.3f} s", "-", "", f"{percentile(up['lat'], .99):.2f} s" if up_p50 else "-", "-", "-", "-"))
    up_idle = up.get("idle") if up else None
    rows.append(("idle ClearML calls/s (1 queue, no pods)", f"{r['idle']:.2f} ({r['idle_poll']:.2f} polls)", "<= 4", mark(r["idle"] <= 4),
                 f"{up_idle:.2f} (5 s poll)" if up_idle is not None else "-", "-", "-", "-"))
    rows.append((f"idle ClearML calls/s with {len(lat)} live pods", f"{r['idle_pods']:.2f}", "<= 4", mark(r["idle_pods"] <= 4), "-", "-", "-", "-"))
    rows.append((f"idle ClearML calls/s with {last['live']} live pods", f"{last['idle_live']:.2f}", "<= 4", mark(last["idle_live"] <= 4), "-", "-", "-", "-"))
    rows.append((f"throughput, {backlog['tasks']}-task backlog (from glue start)", f"{tput:.1f} tasks/s", ">= 200", mark(tput >= 200),
                 f"{up_tput:.2f} tasks/s ({up_b['tasks']})" if up_b else "-", f"{rec['tput']} tasks/s", ratio(tput, up_tput, False), ratio(tput, rec["tput"], False)))
    rows.append((f"throughput, pods 1-101 / 101-{backlog['tasks']} (create limiter burst 100, 50/s)",
                 f"{backlog['burst_rate']:.1f} / {backlog['after_rate']:.1f} tasks/s", "", "", "-", "-", "-", "-"))
    rows.append(("throughput, first->last pod", f"{backlog['tasks'] / backlog['steady']:.1f} tasks/s", "", "",
                 f"{up_b['tasks'] / up_b['steady']:.2f} tasks/s" if up_b else "-", "-", "-", "-"))
    rows.append(("glue peak RSS (VmHWM, whole run)", f"{hwm:.1f} MB", "", "", f"{up_b['hwm']:.1f} MB + kubectl" if up_b else "-",
                 "55 MB + ~45 MB/kubectl", "-", ratio(hwm, rec["rss"])))
    rows.append((f"glue RSS with {last['live']} live pods", f"{last['rss']:.1f} MB", "<= 40 MB", mark(last["rss"] <= 40), "-", "-", "-", "-"))
    rows.append(("CPU per task (utime+stime / tasks)", f"{cpu_task:.2f} ms", "<= 3 ms", mark(cpu_task <= 3),
                 f"{up_cpu:.1f} ms (with kubectl)" if up_b else "-", f"{rec['cpu']} ms", ratio(cpu_task, up_cpu), ratio(cpu_task, rec["cpu"])))
    up_calls = sum(up_b["calls"].values()) / up_b["tasks"] if up_b and up_b["calls"] else None
    up_kubectl = len(up_b["kubectl"]) / up_b["tasks"] if up_b else None
    rows.append(("ClearML calls per task", f"{calls_task:.2f}", "<= 6", mark(calls_task <= 6), f"{up_calls:.2f}" if up_calls else "-",
                 f"{rec['calls']}", ratio(calls_task, up_calls), ratio(calls_task, rec["calls"])))
    rows.append(("Kubernetes creates per task", f"{creates_task:.2f}", "1", mark(abs(creates_task - 1) < 1e-9),
                 f"{up_kubectl:.2f} kubectl processes" if up_kubectl is not None else "-", "2.3 kubectl processes", "-", "-"))

    print()
    print(f"glue {args.glue} ({args.build} build), {os.cpu_count()} cores, {load()} at the end")
    print("| figure | ours | target | | upstream, measured now | upstream, recorded (issue #5) | ratio vs measured | ratio vs recorded |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"ClearML calls per task, by endpoint (backlogs, includes start-up, cache sync and periodic calls): "
          f"{fmt_calls(r['backlogs'][0]['by'], r['backlogs'][0]['tasks'])}")
    print(f"glue with no pods (idle, before the latency phase): {r['rss0']}")
    print(f"RSS samples with {last['live']} live pods: {', '.join(f'{x:.1f}' for x in last['rss_all'])} MB; "
          f"per backlog (tasks/s from start, CPU ms/task, load): " +
          "; ".join(f"{b['tasks'] / b['wall']:.1f}, {b['cpu'] / b['tasks']:.2f}, {b['load']}" for b in r["backlogs"]))
    if not up_b:
        print("upstream: " + ("; ".join(notes) or "not run") + " -- upstream columns other than 'recorded' are empty")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
