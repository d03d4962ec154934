"""Bounded, seeded request fuzzing of the session's server. It runs first (file order), so every suite after it
checks that nothing it sent corrupted the database."""
import base64
import json
import random
import urllib.error
import urllib.request

ENDPOINTS = [
    "tasks.create", "tasks.get_by_id", "tasks.get_all", "tasks.edit", "tasks.update", "tasks.enqueue",
    "tasks.dequeue", "tasks.started", "tasks.stopped", "tasks.completed", "tasks.failed", "tasks.stop",
    "tasks.reset", "tasks.ping", "queues.get_all", "queues.create", "queues.add_task", "queues.remove_task",
    "queues.get_next_task", "queues.move_task_to_front", "workers.register", "workers.status_report",
    "workers.get_all", "events.add_batch", "events.get_task_log", "projects.create", "auth.login", "nope.nope",
]
KEYS = ["task", "queue", "name", "type", "force", "status", "only_fields", "id", "worker", "timestamp",
        "new_status", "runtime", "execution.queue", "order_by", "page", "page_size", "msg", "tags", "queue_name"]


def random_value(rng, depth=0):
    choice = rng.randrange(5 if depth > 2 else 7)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.randint(-2**63, 2**63 - 1)
    if choice == 3:
        return rng.uniform(-1e9, 1e9)
    if choice == 4:
        return rng.choice(["", "queued", "in_progress", "x" * rng.randrange(300), "^(", "-tag", "\u2603"])
    if choice == 5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def send(server, path, data, content_type, authorization):
    request = urllib.request.Request(server.url + path, data=data, method="POST",
                                     headers={"Content-Type": content_type, "Authorization": authorization})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_fuzzed_requests_get_upstream_error_shapes(glue_server):
    rng = random.Random(20261123)
    basic = "Basic " + base64.b64encode(f"{glue_server.access_key}:{glue_server.secret_key}".encode()).decode()
    ids = [glue_server.ok("tasks.create", {"name": "fuzz-seed", "type": "training"})["id"], "", "nope"]
    for _ in range(500):
        endpoint = rng.choice(ENDPOINTS)
        body = {rng.choice(KEYS): rng.choice(ids) if rng.random() < 0.4 else random_value(rng)
                for _ in range(rng.randrange(6))}
        data = json.dumps(body).encode()
        mode = rng.randrange(10)
        if mode == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        elif mode == 1:
            data = data[:-1]
        authorization = basic if rng.random() < 0.9 else rng.choice(["", "Bearer x.y.z", "Basic Zm9vOmJhcg==", "Nope"])
        content_type = rng.choice(["application/json", "application/json-lines", "text/plain"])
        status, payload = send(glue_server, f"/v2.{rng.randrange(1, 40)}/{endpoint}", data, content_type, authorization)
        envelope = json.loads(payload)
        assert envelope["meta"]["result_code"] == status, (endpoint, body, envelope["meta"])
        assert status in (200, 400, 401, 404, 413), (endpoint, body, envelope["meta"])
        if status == 200 and isinstance(envelope["data"].get("id"), str):
            ids.append(envelope["data"]["id"])
    # The server still answers normally.
    assert glue_server.ok("tasks.get_all", {"search_hidden": True})["tasks"]
