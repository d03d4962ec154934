"""Side-by-side timings of `clearml-glue execute` and upstream `clearml-agent execute` (PyPI) on the same task
shape against the same `clearml-glue-dev server` (see bench/agent.sh, which starts the server).

Every task comes from one local git repository (file://, warm vcs cache after a warm-up run per agent) and runs with the
environment already satisfied: CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL=1 and
CLEARML_AGENT_SKIP_PIP_VENV_INSTALL=<the venv's python> (both agents honour both; no pip, no venv).
Both agents are started as the pods start them: `execute --full-monitoring --id T --require-queue`.

(a) start: wall clock just before spawning the agent -> the timestamp the user script takes on its first line.
(b) console: the script prints a line with its wall-clock timestamp every 50 ms; a poller reads
    events.get_task_log every 20 ms and records when each line first appears; latency = seen - printed.
(c) stop: once the script runs, tasks.stop (status_message "stopping", as the UI's Abort) -> the agent
    process has exited (its exit is observed by a thread blocked in wait()).
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlparse

# One repository holds the three scripts (the vcs cache is warm after the warm-up run); each writes its marker
# to the scratch folder under the task id both agents put in CLEARML_TASK_ID.
START_SCRIPT = """import time; _t = time.time(); print("FIRST %.6f" % _t, flush=True)
import os; open(os.path.join({scratch!r}, "first-" + os.environ["CLEARML_TASK_ID"]), "w").write("%.6f" % _t)
"""

CONSOLE_SCRIPT = """import time
for i in range({lines}):
    print("LINE %d %.6f" % (i, time.time()), flush=True)
    time.sleep(0.05)
"""

LINE = re.compile(r"LINE (\d+) (\d+\.\d+)")

STOP_SCRIPT = """import os, time
open(os.path.join({scratch!r}, "running-" + os.environ["CLEARML_TASK_ID"]), "w").write("running")
print("RUNNING", flush=True)
for _ in range(1200):
    time.sleep(0.1)
"""


class Client:
    def __init__(self, url, key, secret):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}

    def call(self, endpoint, body):
        for attempt in range(2):
            try:
                self.connection.request("POST", f"/v2.31/{endpoint}", body=json.dumps(body), headers=self.headers)
                response = self.connection.getresponse()
                payload = json.loads(response.read())
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{endpoint}: {payload['meta']}")
        return payload["data"]


def git_repo(root, name, scripts):
    path = os.path.join(root, name)
    os.makedirs(path)
    for script_name, script in scripts.items():
        with open(os.path.join(path, script_name), "w") as handle:
            handle.write(script)
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@e", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@e"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)
    return path


class Side:
    def __init__(self, name, command, env):
        self.name, self.command, self.env = name, command, env


class Bench:
    def __init__(self, args):
        self.args = args
        self.client = Client(args.url, args.key, args.secret)
        self.scratch = tempfile.mkdtemp(prefix="agent-bench-")
        self.count = 0
        self.client.call("queues.create", {"name": "agent_bench_q"})
        self.repo = git_repo(self.scratch, "repo", {
            "start.py": START_SCRIPT.format(scratch=self.scratch),
            "console.py": CONSOLE_SCRIPT.format(lines=args.lines),
            "stop.py": STOP_SCRIPT.format(scratch=self.scratch)})

    def side(self, name, command):
        home = os.path.join(self.scratch, f"home-{name}")
        os.makedirs(home)
        config = os.path.join(home, "clearml.conf")
        with open(config, "w") as handle:
            handle.write("api { }\nagent { }\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML", "TRAINS"))}
        env.update({
            "HOME": home, "CLEARML_CONFIG_FILE": config,
            "CLEARML_API_HOST": self.args.url, "CLEARML_WEB_HOST": self.args.url, "CLEARML_FILES_HOST": self.args.url,
            "CLEARML_API_ACCESS_KEY": self.args.key, "CLEARML_API_SECRET_KEY": self.args.secret,
            "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1", "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL": self.args.python,
            "CLEARML_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
        })
        return Side(name, command, env)

    def task(self, entry_point):
        self.count += 1
        task = self.client.call("tasks.create", {
            "name": f"agent-bench-{self.count}", "type": "training",
            "script": {"repository": f"file://{self.repo}", "branch": "main", "entry_point": entry_point, "working_dir": ".",
                       "binary": "python3"}})["id"]
        self.client.call("tasks.enqueue", {"task": task, "queue_name": "agent_bench_q"})
        return task

    def spawn(self, side, task):
        log = open(os.path.join(self.scratch, f"{side.name}-{task}.log"), "w")
        start = time.time()
        process = subprocess.Popen([*side.command, "execute", "--full-monitoring", "--id", task, "--require-queue"],
                                   env=side.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return process, start, log

    def finish(self, process, log, task, expect, timeout=300):
        try:
            process.wait(timeout=timeout)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait()
            log.close()
        status = self.client.call("tasks.get_by_id", {"task": task})["task"]["status"]
        if status != expect:
            raise RuntimeError(f"task {task} ended {status}, expected {expect}; see {log.name}")

    def log_lines(self, task):
        events = self.client.call("events.get_task_log", {"task": task, "batch_size": 10000, "order": "asc"})["events"]
        return [line for event in events for line in event.get("msg", "").splitlines()]

    # (a)
    def start_time(self, side):
        task = self.task("start.py")
        marker = os.path.join(self.scratch, f"first-{task}")
        process, start, log = self.spawn(side, task)
        self.finish(process, log, task, "completed")
        with open(marker) as handle:
            return float(handle.read()) - start

    # (b)
    def console(self, side):
        task = self.task("console.py")
        poller = Client(self.args.url, self.args.key, self.args.secret)
        process, _, log = self.spawn(side, task)
        seen = {}
        deadline = time.time() + 300
        while time.time() < deadline:
            done = process.poll() is not None
            events = poller.call("events.get_task_log", {"task": task, "batch_size": 10000, "order": "asc"})["events"]
            now = time.time()
            for event in events:
                for number, stamp in LINE.findall(event.get("msg", "")):
                    if number not in seen:
                        seen[number] = now - float(stamp)
            # stop once every line arrived, or after the read that followed the agent's exit
            if len(seen) == self.args.lines or done:
                break
            time.sleep(0.02)
        self.finish(process, log, task, "completed")
        return list(seen.values()), self.args.lines - len(seen)

    # (c)
    def stop_time(self, side):
        task = self.task("stop.py")
        marker = os.path.join(self.scratch, f"running-{task}")
        process, _, log = self.spawn(side, task)
        exited = {}
        waiter = threading.Thread(target=lambda: (process.wait(), exited.setdefault("t", time.time())), daemon=True)
        waiter.start()
        deadline = time.time() + 300
        while not os.path.exists(marker) and time.time() < deadline and process.poll() is None:
            time.sleep(0.01)
        time.sleep(0.3)  # the script is settled in its loop
        start = time.time()
        self.client.call("tasks.stop", {"task": task})
        waiter.join(timeout=120)
        self.finish(process, log, task, "stopped")
        return exited["t"] - start


def pct(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    for option in ("--url", "--key", "--secret", "--glue", "--upstream", "--python"):
        parser.add_argument(option, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--console-runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=80)
    args = parser.parse_args()
    bench = Bench(args)
    sides = [bench.side("glue", [args.glue]), bench.side("upstream", [args.upstream])]
    results = {side.name: {} for side in sides}
    try:
        for side in sides:
            bench.start_time(side)  # warm-up: vcs cache, imports, page cache
        for side in sides:
            r = results[side.name]
            r["start"] = [bench.start_time(side) for _ in range(args.runs)]
            lat, lost = [], 0
            for _ in range(args.console_runs):
                values, missing = bench.console(side)
                lat += values
                lost += missing
            r["console"], r["lost"] = lat, lost
            r["stop"] = [bench.stop_time(side) for _ in range(args.runs)]
            print(f"{side.name}: start {['%.3f' % v for v in r['start']]}, stop {['%.3f' % v for v in r['stop']]}, "
                  f"console {len(lat)} lines, {lost} missing", flush=True)
    finally:
        if not os.environ.get("KEEP_BENCH_SCRATCH"):
            shutil.rmtree(bench.scratch, ignore_errors=True)

    g, u = results["glue"], results["upstream"]

    def row(label, fn, target):
        ours, theirs = fn(g), fn(u)
        print(f"| {label} | {ours:.3f} s | {theirs:.3f} s | {theirs / ours:.1f}x | {target} |")

    print()
    print(f"runs: {args.runs} per side for (a) and (c); (b) {args.console_runs} runs x {args.lines} lines per side")
    print("| measure | clearml-glue execute | clearml-agent 3.0.3 execute | upstream / ours | target (ours) |")
    print("|---|---|---|---|---|")
    row("(a) spawn -> script's first line, median", lambda r: statistics.median(r["start"]), "<= 0.3 s")
    row("(a) spawn -> script's first line, worst", lambda r: max(r["start"]), "")
    row("(b) console line -> events.get_task_log, p50", lambda r: pct(r["console"], 0.50), "<= 0.25 s")
    row("(b) console line -> events.get_task_log, p99", lambda r: pct(r["console"], 0.99), "<= 0.5 s")
    row("(b) console line -> events.get_task_log, max", lambda r: max(r["console"]), "")
    row("(c) tasks.stop -> agent process gone, median", lambda r: statistics.median(r["stop"]), "")
    row("(c) tasks.stop -> agent process gone, worst", lambda r: max(r["stop"]), "<= 1 s")
    print(f"| (b) lines never seen | {g['lost']} | {u['lost']} | | 0 |")


if __name__ == "__main__":
    main()
