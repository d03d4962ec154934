"""The real clearml SDK (2.1.12) against `clearml-glue-dev server`."""
import json
import textwrap

from clearml_support import run_python


def test_create_enqueue_and_get_status(glue_server, client_env):
    glue_server.ok("queues.create", {"name": "sdk_q"})
    code = textwrap.dedent("""
        import json
        from clearml import Task
        task = Task.create(project_name="glue-demo", task_name="sdk-create", script=None)
        Task.enqueue(task, queue_name="sdk_q")
        print(json.dumps({"id": task.id, "status": Task.get_task(task_id=task.id).get_status()}))
    """)
    result = run_python(code, client_env)
    assert result.returncode == 0, result.stderr[-3000:]
    reply = json.loads(result.stdout.strip().splitlines()[-1])
    assert reply["status"] == "queued"
    task = glue_server.ok("tasks.get_by_id", {"task": reply["id"]})["task"]
    queue = glue_server.ok("queues.get_all", {"name": "^sdk_q$"})["queues"][0]
    assert task["execution"]["queue"] == queue["id"]
    assert [entry["task"] for entry in queue["entries"]] == [reply["id"]]


def test_task_init_with_task_id_reports_scalars(glue_server, client_env, tmp_path):
    task_id = glue_server.ok("tasks.create", {"name": "sdk-in-task", "type": "training"})["id"]
    script = tmp_path / "in_task.py"
    script.write_text(textwrap.dedent("""
        from clearml import Task
        task = Task.init()
        print("hello from the task", task.id, flush=True)
        for i in range(3):
            task.get_logger().report_scalar("loss", "train", 1.0 / (i + 1), iteration=i)
        task.flush(wait_for_uploads=True)
    """))
    env = {**client_env, "CLEARML_TASK_ID": task_id}
    result = run_python(f"exec(open({str(script)!r}).read())", env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    task = glue_server.ok("tasks.get_by_id", {"task": task_id})["task"]
    assert task["status"] == "in_progress"
    assert task["runtime"].get("CLEARML VERSION", "").startswith("clearml-")
    assert task["last_iteration"] >= 2
    metrics = [variant for metric in task["last_metrics"].values() for variant in metric.values()]
    assert any(m["metric"] == "loss" and m["variant"] == "train" for m in metrics), task["last_metrics"]
    scalars = glue_server.ok("events.get_task_events", {"task": task_id, "event_type": "training_stats_scalar"})
    assert scalars["total"] == 3


def test_task_init_console_is_returned_by_get_reported_console_output(glue_server, client_env, tmp_path):
    # With CLEARML_TASK_ID the SDK leaves console capture to the agent (see test_clearml_agent); a local
    # Task.init captures it itself.
    script = tmp_path / "local_task.py"
    script.write_text(textwrap.dedent("""
        from clearml import Task
        task = Task.init(project_name="glue-demo", task_name="sdk-console")
        print("TASK", task.id, flush=True)
        print("hello from the console", flush=True)
        task.get_logger().report_scalar("loss", "train", 0.25, iteration=1)
        task.close()
    """))
    result = run_python(f"exec(open({str(script)!r}).read())", client_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    task_id = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("TASK "))
    assert glue_server.task_status(task_id) == "completed"

    code = textwrap.dedent(f"""
        import json
        from clearml import Task
        print(json.dumps(Task.get_task(task_id={task_id!r}).get_reported_console_output(number_of_reports=100)))
    """)
    result = run_python(code, client_env)
    assert result.returncode == 0, result.stderr[-3000:]
    console = "\n".join(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "hello from the console" in console
