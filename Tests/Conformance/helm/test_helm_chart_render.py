"""`helm lint --strict` and `helm template` with the real helm 3 and helm 4 over the chart's value sets, and an
upstream clearml-agent chart values file (Tests/Fixtures/helm), which must fail naming each key it cannot honour
and what replaces it, and render once those replacements are made (more upstream files: test_upstream_chart_values.py)."""
import copy
import pathlib

import pytest
import yaml

from helm_support import CHART, ROOT

CREDENTIALS = {"clearml": {"agentk8sglueKey": "TESTACCESSKEY", "agentk8sglueSecret": "TESTSECRETKEY"}}
UPSTREAM = ROOT / "Tests" / "Fixtures" / "helm" / "clearml-agent-chart-values.yaml"

VALUE_SETS = {
    "defaults": {},
    "replicas-2": {"agentk8sglue": {"replicaCount": 2}},
    "task-as-job": {"agentk8sglue": {"taskAsJob": True}},
    "per-queue-overrides": {"agentk8sglue": {"queue": "high,default", "maxPods": 8, "queues": {
        "gpu": {"maxPods": 2, "gpus": 1, "image": "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
                "templateOverrides": {"nodeSelector": {"pool": "gpu"}, "resources": {"requests": {"cpu": "4"}}}},
        "services": {"maxPods": 20, "overrides": {"spec": {"priorityClassName": "low"}}},
        "high": {"template": {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "clearml-task"}]}}},
    }}},
    "service-monitor": {"metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}}},
}


def merged(*layers):
    result = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merged(result[key], value)
            else:
                result[key] = copy.deepcopy(value)
    return result


def values_file(tmp_path, values, name="values.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(values))
    return str(path)


def template(helm, tmp_path, values, check=True):
    result = helm.run("template", "rel", str(CHART), "--namespace", "team", "-f", values_file(tmp_path, values), check=check)
    if not check:
        return result
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def kinds(objects):
    return sorted({doc["kind"] for doc in objects})


def deployment_args(objects):
    deployment = next(doc for doc in objects if doc["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_helm_lint_strict_and_template(helm_offline, tmp_path, value_set):
    values = merged(CREDENTIALS, VALUE_SETS[value_set])
    lint = helm_offline.run("lint", "--strict", str(CHART), "--namespace", "team", "-f", values_file(tmp_path, values))
    assert "1 chart(s) linted, 0 chart(s) failed" in lint.stdout, lint.stdout
    objects = template(helm_offline, tmp_path, values)
    assert {"ConfigMap", "Deployment", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount"} <= set(kinds(objects))
    # The teardown hook is part of every rendering: a pre-delete Job with its own account and Role.
    hooks = [doc for doc in objects if doc["metadata"].get("annotations", {}).get("helm.sh/hook") == "pre-delete"]
    assert sorted(doc["kind"] for doc in hooks) == ["ConfigMap", "Job", "Role", "RoleBinding", "ServiceAccount"]
    args = deployment_args(objects)
    if value_set == "replicas-2":
        assert "--leader-elect" in args and "Lease" in kinds(objects)
        deployment = next(doc for doc in objects if doc["kind"] == "Deployment")
        assert deployment["spec"]["strategy"]["type"] == "RollingUpdate" and deployment["spec"]["replicas"] == 2
    else:
        assert "--leader-elect" not in args and "Lease" not in kinds(objects)
    if value_set == "task-as-job":
        template_pod = yaml.safe_load(next(doc for doc in objects if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "rel-clearml-glue-pt")["data"]["template.yaml"])
        assert template_pod["kind"] == "Job"
    if value_set == "per-queue-overrides":
        assert "--queue=high,default,gpu,services" in args and "--max-pods=8" in args
        queues = yaml.safe_load(next(doc for doc in objects if doc["metadata"]["name"] == "rel-clearml-glue-pt")["data"]["queues.yaml"])["queues"]
        assert queues["gpu"]["maxPods"] == 2 and queues["gpu"]["overrides"]["spec"]["nodeSelector"] == {"pool": "gpu"}
    assert ("ServiceMonitor" in kinds(objects)) == (value_set == "service-monitor")


def test_helm_upstream_clearml_agent_values_fail_naming_each_key_and_its_replacement(helm_offline, tmp_path):
    upstream = yaml.safe_load(UPSTREAM.read_text())
    result = template(helm_offline, tmp_path, upstream, check=False)
    assert result.returncode != 0
    message = result.stderr
    assert "values written for the clearml-agent chart need changes" in message, message
    expected = [
        ("agentk8sglue.image.repository \"allegroai/clearml-agent-k8s-base\"", "set agentk8sglue.image.repository and agentk8sglue.image.tag"),
    ]
    # fileMounts and sessions work here (test_upstream_chart_values.py checks what they render).
    assert "fileMounts" not in message and "sessions" not in message, message
    for key, replacement in expected:
        line = next((l for l in message.splitlines() if key in l), None)
        assert line is not None, f"{key!r} not named in:\n{message}"
        assert replacement in line, f"{key!r}: the replacement {replacement!r} is not named in {line!r}"
    # helm lint renders in lint mode, where `fail` is only reported (Helm's engine: "Fail: ..."), not fatal.
    lint = helm_offline.run("lint", "--strict", str(CHART), "-f", values_file(tmp_path, upstream, "lint.yaml"), check=False)
    assert "clearml-agent-k8s-base" in lint.stdout + lint.stderr

    # Doing what the messages say makes the same file render and lint clean.
    fixed = copy.deepcopy(upstream)
    fixed["agentk8sglue"]["image"] = {"registry": "registry.example.com", "repository": "clearml-glue", "tag": "0.1.0"}
    objects = template(helm_offline, tmp_path, fixed)
    deployment = next(doc for doc in objects if doc["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/clearml-glue:0.1.0"
    assert "--queue=gpu,cpu" in deployment_args(objects) and "--create-queue" in deployment_args(objects)
    assert "--ports-mode" in deployment_args(objects) and "--num-of-services=10" in deployment_args(objects)
    lint = helm_offline.run("lint", "--strict", str(CHART), "-f", values_file(tmp_path, fixed, "fixed.yaml"))
    assert "0 chart(s) failed" in lint.stdout


@pytest.mark.parametrize("key, value, replacement", [
    ("createQueues", True, "agentk8sglue.createQueueIfNotExists"),
    ("queues", {"gpu": {"queueSettings": {"maxPods": 2}}}, "agentk8sglue.queues.gpu.maxPods"),
])
def test_helm_enterprise_keys_fail_naming_their_replacement(helm_offline, tmp_path, key, value, replacement):
    result = template(helm_offline, tmp_path, merged(CREDENTIALS, {"agentk8sglue": {key: value}}), check=False)
    assert result.returncode != 0 and replacement in result.stderr, result.stderr


def test_helm_unknown_keys_are_refused_by_the_schema(helm_offline, tmp_path):
    result = template(helm_offline, tmp_path, merged(CREDENTIALS, {"agentk8sglue": {"maxPod": 3}}), check=False)
    assert result.returncode != 0 and "maxPod" in result.stderr, result.stderr
