"""The real clearml-agent (3.0.3) against `clearml-glue-dev server`: list, execute --require-queue, abort, daemon."""
import os
import subprocess
import sys
import textwrap
import time

from clearml_support import make_git_repo, wait_for

AGENT = os.path.join(os.path.dirname(sys.executable), "clearml-agent")


def create_git_task(server, tmp_path, name, script):
    repo = make_git_repo(tmp_path / f"repo-{name}", "main.py", textwrap.dedent(script))
    task_id = server.ok("tasks.create", {
        "name": name, "type": "training",
        "script": {"repository": f"file://{repo}", "branch": "main", "entry_point": "main.py", "working_dir": ".",
                   "binary": "python3"},
    })["id"]
    return task_id


def enqueue(server, task_id, queue_name="agent_q"):
    return server.ok("tasks.enqueue", {"task": task_id, "queue_name": queue_name})


def console(server, task_id):
    events = server.ok("events.get_task_log", {"task": task_id, "batch_size": 10000, "order": "asc"})["events"]
    return "\n".join(event.get("msg", "") for event in events)


def tail(path, size=3000):
    """The end of a process's output file, for assertion messages."""
    try:
        return path.read_text(errors="replace")[-size:]
    except FileNotFoundError:
        return ""


def run_agent(args, env, timeout=240):
    return subprocess.run([AGENT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_agent_list(glue_server, client_env):
    result = run_agent(["list"], client_env, timeout=60)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_execute_require_queue_completes(glue_server, client_env, tmp_path):
    task_id = create_git_task(glue_server, tmp_path, "exec-ok", """
        print("hello from git task", flush=True)
        for i in range(3):
            print("step", i, flush=True)
    """)
    enqueue(glue_server, task_id)
    result = run_agent(["execute", "--id", task_id, "--require-queue"], client_env)
    assert glue_server.task_status(task_id) == "completed", result.stdout[-3000:] + result.stderr[-3000:]
    log = console(glue_server, task_id)
    assert "hello from git task" in log and "step 2" in log


def test_execute_failing_script_ends_failed(glue_server, client_env, tmp_path):
    task_id = create_git_task(glue_server, tmp_path, "exec-fail", """
        import sys
        print("about to fail", flush=True)
        sys.exit(3)
    """)
    enqueue(glue_server, task_id)
    result = run_agent(["execute", "--id", task_id, "--require-queue"], client_env)
    assert glue_server.task_status(task_id) == "failed", result.stdout[-3000:] + result.stderr[-3000:]
    assert "about to fail" in console(glue_server, task_id)


def test_execute_refuses_a_task_that_is_not_queued(glue_server, client_env, tmp_path):
    task_id = create_git_task(glue_server, tmp_path, "exec-not-queued", "print('never runs')\n")
    result = run_agent(["execute", "--id", task_id, "--require-queue"], client_env, timeout=120)
    assert result.returncode != 0
    assert glue_server.task_status(task_id) == "created"
    assert "never runs" not in console(glue_server, task_id)


def test_stop_during_run_ends_stopped(glue_server, client_env, tmp_path):
    task_id = create_git_task(glue_server, tmp_path, "exec-abort", """
        import time
        print("long task started", flush=True)
        for i in range(600):
            time.sleep(0.5)
    """)
    enqueue(glue_server, task_id)
    # Output goes to a file, never to a pipe nobody reads (a full pipe would stall the agent).
    output = tmp_path / "agent-abort.log"
    with open(output, "w") as sink:
        agent = subprocess.Popen([AGENT, "execute", "--full-monitoring", "--id", task_id, "--require-queue"],
                                 env=client_env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: "long task started" in console(glue_server, task_id), timeout=120), tail(output)
        stop = glue_server.ok("tasks.stop", {"task": task_id})
        assert stop["fields"]["status_message"] == "stopping"
        agent.wait(timeout=120)
        assert wait_for(lambda: glue_server.task_status(task_id) == "stopped", timeout=30), tail(output)
    finally:
        if agent.poll() is None:
            agent.kill()
        agent.wait()


def test_daemon_pulls_and_runs_a_task(glue_server, client_env, tmp_path):
    glue_server.call("queues.create", {"name": "daemon_q"})
    output = tmp_path / "agent-daemon.log"
    with open(output, "w") as sink:
        daemon = subprocess.Popen([AGENT, "daemon", "--queue", "daemon_q", "--foreground"],
                                  env=client_env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    try:
        task_id = create_git_task(glue_server, tmp_path, "daemon-task", "print('run by the daemon', flush=True)\n")
        enqueue(glue_server, task_id, "daemon_q")
        assert wait_for(lambda: glue_server.task_status(task_id) == "completed", timeout=180), \
            f"{glue_server.task_status(task_id)}\n{tail(output)}"
        assert "run by the daemon" in console(glue_server, task_id)
        workers = glue_server.ok("workers.get_all", {"last_seen": 0})["workers"]
        assert workers, "the daemon registered no worker"
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
