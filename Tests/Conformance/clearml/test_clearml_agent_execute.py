"""Our in-pod agent (`clearml-glue execute --id T --require-queue`) runs a task whose script uses the real
clearml SDK (2.1.12): the SDK inside the task talks to `clearml-glue-dev server` through what the agent passes
(CLEARML_TASK_ID, API host, credentials) and reports a scalar to the same task."""
import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from clearml import Task
    t = Task.init()
    print("TASK-IN-SCRIPT", t.id, sys.executable, flush=True)
    t.get_logger().report_scalar("loss", "train", 0.5, 1)
    t.flush(wait_for_uploads=True)
    print("scalar reported", flush=True)
""")


def run_glue_execute(task_id, env, timeout=240):
    return subprocess.run([os.environ["GLUE_BIN"], "execute", "--id", task_id, "--require-queue"],
                          env=env, capture_output=True, text=True, timeout=timeout)


def console(server, task_id):
    events = server.ok("events.get_task_log", {"task": task_id, "batch_size": 10000, "order": "asc"})["events"]
    return "\n".join(event.get("msg", "") for event in events)


def test_sdk_in_task_reports_a_scalar_to_the_same_task(glue_server, client_env, tmp_path):
    # The venv's python runs the task (clearml importable) as it is: CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL=1 and
    # CLEARML_AGENT_SKIP_PIP_VENV_INSTALL=<python>. script.binary is set to it too, but (as upstream's
    # _get_task_python_version) only its basename counts, as a version hint: it alone would pick python3.
    task_id = glue_server.ok("tasks.create", {
        "name": "glue-execute-sdk", "type": "training",
        "script": {"entry_point": "train.py", "working_dir": ".", "binary": sys.executable, "diff": SCRIPT},
    })["id"]
    glue_server.ok("tasks.enqueue", {"task": task_id, "queue_name": "glue_execute_q"})
    env = {**client_env, "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1", "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL": sys.executable}

    result = run_glue_execute(task_id, env)
    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output
    task = glue_server.ok("tasks.get_by_id", {"task": task_id})["task"]
    assert task["status"] == "completed", (task["status"], task.get("status_reason"), output)

    log = console(glue_server, task_id)
    # The SDK inside the script attached to this very task (CLEARML_TASK_ID from the agent), under the venv.
    assert f"TASK-IN-SCRIPT {task_id} {sys.executable}" in log, log[-3000:]
    assert "scalar reported" in log
    assert "Traceback" not in log, log[-3000:]

    # The scalar is stored on the same task: as an event, and in last_metrics.
    scalars = glue_server.ok("events.get_task_events",
                             {"task": task_id, "event_type": "training_stats_scalar"})["events"]
    assert [(e["metric"], e["variant"], e["value"], e["iter"]) for e in scalars] == [("loss", "train", 0.5, 1)], scalars
    metrics = [variant for metric in task["last_metrics"].values() for variant in metric.values()]
    assert any(m["metric"] == "loss" and m["variant"] == "train" and m["value"] == 0.5 for m in metrics), \
        task["last_metrics"]
    # The SDK registered itself on the task (its runtime version) without taking it over from the agent.
    assert task["runtime"].get("CLEARML VERSION", "").startswith("clearml-"), task["runtime"]

    # Read back through the SDK too, as a user would. (Task.get_reported_scalars() is not usable: it calls
    # events.scalar_metrics_iter_histogram, which our server does not serve; the SDK then returns {}.)
    code = textwrap.dedent(f"""
        import json
        from clearml import Task
        print(json.dumps(Task.get_task(task_id={task_id!r}).get_last_scalar_metrics()))
    """)
    reader = subprocess.run([sys.executable, "-c", code], env=client_env, capture_output=True, text=True, timeout=120)
    assert reader.returncode == 0, reader.stderr[-3000:]
    last = json.loads(reader.stdout.strip().splitlines()[-1])
    assert last["loss"]["train"]["last"] == 0.5, last
