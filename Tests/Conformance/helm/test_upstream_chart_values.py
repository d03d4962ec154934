"""Values files with the shape of the upstream clearml-agent chart 5.3.x (Tests/Fixtures/upstream-chart-values, written
from the upstream keys of clearml/clearml-helm-charts charts/clearml-agent values.yaml, ci/default-values.yaml and the
examples in values.yaml's comments) against this chart, with the real helm 3 and 4: each file either renders and
lints clean, or fails with one line per key naming the key and its replacement, as its `# expect:` lines say. For
the files that install, what upstream's keys mean is checked in the rendering: the credentials Secret's upstream key
names reach the glue and the task pods, fileMounts are mounted, sessions.* become the ports-mode flags and the
Services upstream's chart creates (templates/service-sessions.yaml there)."""
import base64
import pathlib

import pytest
import yaml

from helm_support import CHART, ROOT

FIXTURES = ROOT / "Tests" / "Fixtures" / "upstream-chart-values"
FILES = sorted(p.name for p in FIXTURES.glob("*.yaml"))


def expectations(path):
    """('install', []) or ('refuse', [(key, replacement), ...]) from the file's `# expect:` lines."""
    refusals = []
    install = False
    for line in path.read_text().splitlines():
        if not line.startswith("# expect:"):
            continue
        what = line[len("# expect:"):].strip()
        if what == "install":
            install = True
        else:
            assert what.startswith("refuse "), f"{path.name}: unknown expectation {line!r}"
            key, _, replacement = what[len("refuse "):].partition(" => ")
            refusals.append((key.strip(), replacement.strip()))
    assert install != bool(refusals), f"{path.name}: give either '# expect: install' or '# expect: refuse ...' lines"
    return ("install", []) if install else ("refuse", refusals)


def render(helm, path, check=True):
    return helm.run("template", "rel", str(CHART), "--namespace", "team", "-f", str(path), check=check)


def objects_of(result):
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def named(objects, kind, name):
    return next(doc for doc in objects if doc["kind"] == kind and doc["metadata"]["name"] == name)


def glue_container(objects):
    return named(objects, "Deployment", "rel-clearml-glue")["spec"]["template"]["spec"]["containers"][0]


def task_template(objects):
    return yaml.safe_load(named(objects, "ConfigMap", "rel-clearml-glue-pt")["data"]["template.yaml"])


def test_the_fixture_set_covers_the_upstream_files():
    assert "values-5.3.2-defaults.yaml" in FILES and "ci-default-values.yaml" in FILES
    assert all(expectations(FIXTURES / name) for name in FILES)


@pytest.mark.parametrize("name", FILES)
def test_upstream_values_file_installs_or_names_each_key_and_its_replacement(helm_offline, name):
    path = FIXTURES / name
    outcome, refusals = expectations(path)
    result = render(helm_offline, path, check=False)
    if outcome == "install":
        assert result.returncode == 0, f"{name} does not render:\n{result.stderr}"
        lint = helm_offline.run("lint", "--strict", str(CHART), "--namespace", "team", "-f", str(path))
        assert "1 chart(s) linted, 0 chart(s) failed" in lint.stdout, lint.stdout + lint.stderr
        assert {"ConfigMap", "Deployment", "Role", "RoleBinding", "ServiceAccount"} <= {doc["kind"] for doc in objects_of(result)}
        return
    assert result.returncode != 0, f"{name} rendered, but should have been refused"
    lines = result.stderr.splitlines()
    for key, replacement in refusals:
        line = next((l for l in lines if key in l), None)
        assert line is not None, f"{name}: {key!r} is not named in:\n{result.stderr}"
        assert replacement in line, f"{name}: {key!r} is named without its replacement {replacement!r}: {line!r}"


def test_upstream_image_is_refused_and_the_named_fix_installs(helm_offline):
    """An upstream file keeping the clearml-agent image would make it the glue and the agents' init image."""
    defaults = FIXTURES / "values-5.3.2-defaults.yaml"
    refused = render(helm_offline, defaults, check=False)
    assert refused.returncode != 0 and "allegroai/clearml-agent-k8s-base" in refused.stderr, refused.stderr
    fixed = objects_of(render(helm_offline, FIXTURES / "values-5.3.2-defaults-own-image.yaml"))
    container = glue_container(fixed)
    assert container["image"] == "docker.io/example/clearml-glue:0.1.0"
    agent_image = next(e["value"] for e in container["env"] if e["name"] == "CLEARML_K8S_GLUE_AGENT_IMAGE")
    assert "clearml-agent-k8s-base" not in agent_image
    # Upstream's disabled port mode and empty fileMounts add nothing.
    assert not [doc for doc in fixed if doc["kind"] == "Service" and doc["metadata"]["name"].startswith("clearml-session-")]
    assert "--ports-mode" not in container["args"]


def test_upstream_secret_key_names_reach_the_glue_and_the_task_pods(helm_offline):
    objects = objects_of(render(helm_offline, FIXTURES / "existing-secrets.yaml"))
    container = glue_container(objects)
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert refs["CLEARML_API_ACCESS_KEY"] == {"name": "clearml-agent-ac", "key": "agentk8sglue_key"}
    assert refs["CLEARML_API_SECRET_KEY"] == {"name": "clearml-agent-ac", "key": "agentk8sglue_secret"}
    args = container["args"]
    assert "--credentials-secret=clearml-agent-ac" in args
    assert "--credentials-access-key-name=agentk8sglue_key" in args and "--credentials-secret-key-name=agentk8sglue_secret" in args
    assert not [doc for doc in objects if doc["kind"] == "Secret"], "an existing Secret must not be shadowed by a new one"

    # The chart's own Secret holds the keys under the same names; other names are a value away.
    ours = objects_of(render(helm_offline, FIXTURES / "ci-default-values.yaml"))
    data = named(ours, "Secret", "rel-clearml-glue-ac")["data"]
    assert {k: base64.b64decode(v).decode() for k, v in data.items()} == {
        "agentk8sglue_key": "AGENTK8SGLUEKEY", "agentk8sglue_secret": "AGENTK8SGLUESECRET"}


def test_credentials_key_names_are_configurable(helm_offline, tmp_path):
    values = tmp_path / "keys.yaml"
    values.write_text(yaml.safe_dump({"clearml": {"existingAgentk8sglueSecret": "made-for-deploy",
                                                  "credentialsSecretKeys": {"accessKey": "CLEARML_API_ACCESS_KEY",
                                                                            "secretKey": "CLEARML_API_SECRET_KEY"}}}))
    args = glue_container(objects_of(render(helm_offline, values)))["args"]
    assert "--credentials-access-key-name=CLEARML_API_ACCESS_KEY" in args and "--credentials-secret-key-name=CLEARML_API_SECRET_KEY" in args
    values.write_text(yaml.safe_dump({"clearml": {"existingAgentk8sglueSecret": "s",
                                                  "credentialsSecretKeys": {"accessKey": "same", "secretKey": "same"}}}))
    result = render(helm_offline, values, check=False)
    assert result.returncode != 0 and "credentialsSecretKeys" in result.stderr, result.stderr
    values.write_text(yaml.safe_dump({"clearml": {"existingAgentk8sglueSecret": "s", "credentialsSecretKeys": {"accessKey": "a key"}}}))
    result = render(helm_offline, values, check=False)
    assert result.returncode != 0 and "accessKey" in result.stderr, result.stderr


def test_file_mounts_reach_the_glue_pod_and_every_task_pod(helm_offline):
    objects = objects_of(render(helm_offline, FIXTURES / "file-mounts.yaml"))
    glue_files = named(objects, "Secret", "rel-clearml-glue-afm")["data"]
    assert base64.b64decode(glue_files["integration.py"]).decode().startswith("def get_template(")
    container = glue_container(objects)
    assert {"name": "file-mounts", "mountPath": "/mnt/python/integration.py", "subPath": "integration.py", "readOnly": True} in container["volumeMounts"]
    volumes = named(objects, "Deployment", "rel-clearml-glue")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "file-mounts", "secret": {"secretName": "rel-clearml-glue-afm"}} in volumes

    task_files = named(objects, "Secret", "rel-clearml-glue-tfm")["data"]
    assert base64.b64decode(task_files["mounted-file.txt"]).decode() == "this is a test file\nwith test content"
    pod = task_template(objects)
    task_container = pod["spec"]["containers"][0]
    assert {"name": "clearml-file-mounts", "mountPath": "/mnt/mounted-file.txt", "subPath": "mounted-file.txt", "readOnly": True} in task_container["volumeMounts"]
    assert {"name": "clearml-file-mounts", "secret": {"secretName": "rel-clearml-glue-tfm"}} in pod["spec"]["volumes"]


def test_file_mounts_keep_the_template_volumes(helm_offline):
    objects = objects_of(render(helm_offline, FIXTURES / "pod-template-examples.yaml"))
    pod = task_template(objects)
    assert [v["name"] for v in pod["spec"]["volumes"]] == ["yourvolume"]
    assert pod["spec"]["containers"][0]["volumeMounts"] == [{"name": "yourvolume", "mountPath": "/yourpath", "subPath": "userfolder"}]
    assert not [doc for doc in objects if doc["kind"] == "Secret" and doc["metadata"]["name"].endswith("fm")]


def test_sessions_values_become_ports_mode_flags_and_upstream_services(helm_offline):
    objects = objects_of(render(helm_offline, FIXTURES / "sessions-port-mode.yaml"))
    args = glue_container(objects)["args"]
    for flag in ["--ports-mode", "--num-of-services=5", "--base-port=30100", "--gateway-address=192.0.2.10",
                 "--limit-pod-label=ai.allegro.agent.serial=pod-{pod_number}"]:
        assert flag in args, f"{flag} missing from {args}"
    services = sorted((doc for doc in objects if doc["kind"] == "Service" and doc["metadata"]["name"].startswith("clearml-session-")),
                      key=lambda doc: int(doc["metadata"]["name"].rsplit("-", 1)[1]))
    assert [doc["metadata"]["name"] for doc in services] == [f"clearml-session-{n}" for n in range(1, 6)]
    for slot, service in enumerate(services, start=1):
        spec = service["spec"]
        assert spec["type"] == "NodePort" and spec["selector"] == {"ai.allegro.agent.serial": f"pod-{slot}"}
        assert spec["ports"] == [{"name": "session", "protocol": "TCP", "targetPort": 10022, "port": 10022, "nodePort": 30100 + slot}]
        assert service["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}


@pytest.mark.parametrize("svc_type", ["ClusterIP", "LoadBalancer"])
def test_sessions_services_without_node_ports_use_the_slot_port(helm_offline, tmp_path, svc_type):
    values = yaml.safe_load((FIXTURES / "sessions-port-mode.yaml").read_text())
    values["sessions"]["svcType"] = svc_type
    path = tmp_path / "sessions.yaml"
    path.write_text(yaml.safe_dump(values))
    service = named(objects_of(render(helm_offline, path)), "Service", "clearml-session-2")
    assert service["spec"]["type"] == svc_type
    assert service["spec"]["ports"] == [{"name": "session", "protocol": "TCP", "targetPort": 10022, "port": 30102}]
    values["sessions"]["svcType"] = "ExternalName"
    path.write_text(yaml.safe_dump(values))
    refused = render(helm_offline, path, check=False)
    assert refused.returncode != 0 and "svcType" in refused.stderr, refused.stderr


def test_worker_id_of_the_replaced_release_is_a_value(helm_offline, tmp_path):
    """The upstream chart's glue uses its full name as CLEARML_WORKER_ID (templates/agentk8sglue-deployment.yaml there);
    keeping it makes the new glue recognise the old glue's pods (their CLEARML label hashes the worker id)."""
    def worker_id(values):
        path = tmp_path / "worker.yaml"
        path.write_text(yaml.safe_dump(values))
        env = glue_container(objects_of(render(helm_offline, path)))["env"]
        return next(e["value"] for e in env if e["name"] == "CLEARML_WORKER_ID")
    credentials = {"clearml": {"agentk8sglueKey": "A", "agentk8sglueSecret": "B"}}
    assert worker_id(credentials) == "rel-clearml-glue"
    assert worker_id({**credentials, "agentk8sglue": {"workerId": "clearml-agent"}}) == "clearml-agent"
