"""`clearml-glue render --id T`: the pods the glue would create for real tasks, checked by kubernetes-validate
in strict mode (the Kubernetes OpenAPI schemas), and free of literal credentials."""
import os
import subprocess

import kubernetes_validate
import pytest
import yaml

KUBERNETES_VERSION = "1.32"


def make_task(server, name, container=None, queue_name="render-q"):
    queues = server.ok("queues.get_all", {"name": f"^{queue_name}$"})["queues"]
    queue = queues[0]["id"] if queues else server.ok("queues.create", {"name": queue_name})["id"]
    body = {"name": name, "type": "training", "script": {"entry_point": "main.py", "repository": "https://example.com/repo.git"}}
    if container:
        body["container"] = container
    task = server.ok("tasks.create", body)["id"]
    server.ok("tasks.enqueue", {"task": task, "queue": queue})
    return task


def render(client_env, task, *flags, env=None):
    result = subprocess.run(
        [os.environ["GLUE_BIN"], "render", "--id", task, "--queue", "render-q", "--credentials-secret", "clearml-credentials",
         "--agent-image", "ghcr.io/example/clearml-glue:1.0", "--task-service-account", "clearml-task", *flags],
        env={**client_env, **(env or {})}, capture_output=True, text=True, timeout=60)
    return result


def rendered(client_env, task, *flags, env=None):
    result = render(client_env, task, *flags, env=env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), result


def test_clearml_default_pod_is_schema_valid_and_carries_no_credentials(glue_server, client_env):
    task = make_task(glue_server, "plain")
    pod, result = rendered(client_env, task)
    kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == f"clearml-id-{task}"
    assert pod["metadata"]["labels"]["clearml-task-id"] == task
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["serviceAccountName"] == "clearml-task"
    assert pod["spec"]["automountServiceAccountToken"] is False
    env = {item["name"]: item for item in pod["spec"]["containers"][0]["env"]}
    assert env["CLEARML_API_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "clearml-credentials", "key": "CLEARML_API_SECRET_KEY"}
    for secret in (glue_server.secret_key, glue_server.access_key):
        assert secret not in result.stdout and secret not in result.stderr


def test_clearml_job_with_queue_config_gpus_and_docker_args_is_schema_valid(glue_server, client_env, tmp_path):
    task = make_task(glue_server, "gpu job", container={
        "image": "nvidia/cuda:12.4.1-runtime-ubuntu22.04", "arguments": "-e MODE=train --shm-size 2g --privileged -v /etc:/host-etc"})
    config = tmp_path / "queues.yaml"
    config.write_text(yaml.safe_dump({"queues": {"render-q": {
        "gpus": 1, "maxPods": 2,
        "template": {"kind": "Job", "spec": {"template": {"spec": {"nodeSelector": {"gpu": "true"},
                                                                    "containers": [{"name": "clearml-task", "resources": {"limits": {"memory": "8Gi"}}}]}}}},
    }}}))
    job, result = rendered(client_env, task, "--queue-config", str(config), env={"CLEARML_K8S_GLUE_KIND": "job"})
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)
    assert job["kind"] == "Job" and job["spec"]["backoffLimit"] == 0
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["image"] == "nvidia/cuda:12.4.1-runtime-ubuntu22.04"
    assert {"name": "MODE", "value": "train"} in container["env"]
    # Refused arguments are reported, not applied.
    assert "--privileged" in result.stderr and "/etc" in result.stderr
    assert all("hostPath" not in volume for volume in job["spec"]["template"]["spec"].get("volumes", []))


@pytest.mark.parametrize("text, expected", [
    ("- just\n- a list\n", "expected a mapping"),
    ("kind: Deployment\n", "kind 'Deployment' is not a Pod"),
    ("spec: [unclosed\n", "not valid YAML"),
])
def test_clearml_broken_template_stops_render_with_what_and_where(glue_server, client_env, tmp_path, text, expected):
    task = make_task(glue_server, "broken template")
    template = tmp_path / "template.yaml"
    template.write_text(text)
    result = render(client_env, task, "--template-yaml", str(template))
    assert result.returncode != 0
    assert expected in result.stderr and str(template) in result.stderr


def test_clearml_overrides_yaml_is_applied_over_the_template(glue_server, client_env, tmp_path):
    """README: `--overrides-yaml` (applied, unlike upstream): merged over `--template-yaml`, field by field."""
    task = make_task(glue_server, "with overrides")
    template = tmp_path / "template.yaml"
    template.write_text(yaml.safe_dump({"spec": {"nodeSelector": {"pool": "from-template", "zone": "a"},
                                                 "containers": [{"name": "clearml-task", "env": [{"name": "FROM_TEMPLATE", "value": "1"}]}]}}))
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"metadata": {"labels": {"team": "vision"}},
                                         "spec": {"nodeSelector": {"pool": "from-overrides"}, "priorityClassName": "high"}}))
    pod, _ = rendered(client_env, task, "--template-yaml", str(template), "--overrides-yaml", str(overrides))
    kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)
    assert pod["spec"]["nodeSelector"] == {"pool": "from-overrides", "zone": "a"}
    assert pod["spec"]["priorityClassName"] == "high"
    assert pod["metadata"]["labels"]["team"] == "vision" and pod["metadata"]["labels"]["clearml-task-id"] == task
    env = {item["name"]: item for item in pod["spec"]["containers"][0]["env"]}
    assert env["FROM_TEMPLATE"]["value"] == "1"
