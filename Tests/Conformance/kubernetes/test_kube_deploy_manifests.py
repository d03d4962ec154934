"""deploy/ and charts/clearml-glue checked without a cluster.

- deploy/*.yaml: strict kubernetes-validate for the newest Kubernetes the package knows; least-privilege
  RBAC; the task ServiceAccount unbound; a non-root, capability-less glue pod; no literal credentials.
- The chart: Chart.yaml, values.yaml against values.schema.json (jsonschema), every `.Values` path a
  template reads exists in values.yaml, and the chart rendered by the Helm Go SDK (helm-python-sdk, no
  helm binary) for several value sets, every rendered object strictly valid; its defaults equal deploy/.
"""
import base64
import json
import pathlib
import re

import helm_python
import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
CHART = ROOT / "charts" / "clearml-glue"
KUBE_VERSION = kubernetes_validate.latest_version()

GLUE_SA = "clearml-glue"
TASK_SA = "clearml-glue-task"

# (apiGroup, resource) -> the verbs the glue may hold; nothing else, never "*". These are exactly the calls
# the code makes (Tests/GlueTests/EndToEnd/RBACExactnessTests.swift runs the glue under deploy/'s Roles on
# the RBAC-enforcing embedded cluster and fails on a denied call or an unused grant).
ALLOWED_RULES = {
    ("", "pods"): {"list", "watch", "create", "delete"},
    ("", "events"): {"create", "list"},
    ("coordination.k8s.io", "leases"): {"get", "create", "update"},
    ("batch", "jobs"): {"create", "delete"},
    # --pod-clearml-conf only: create, never get/list/watch (the glue reads no Secret).
    ("", "secrets"): {"create"},
}

# The exact rules, as deploy/ ships them: rbac.yaml (pod mode, one replica) and the optional Roles.
BASE_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch", "create", "delete"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "list"]},
]
LEADER_ELECTION_RULES = [
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["clearml-glue"], "verbs": ["get", "update"]},
]
JOB_MODE_RULES = [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete"]}]
POD_CLEARML_CONF_RULES = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}]
OPTIONAL = {"leader-election.yaml": LEADER_ELECTION_RULES, "job-mode.yaml": JOB_MODE_RULES, "pod-clearml-conf.yaml": POD_CLEARML_CONF_RULES}

# The `clearml-glue glue` command line the manifests may use.
GLUE_FLAGS = {
    "--queue", "--namespace", "--template-yaml", "--overrides-yaml", "--queue-config", "--max-pods",
    "--pod-name-prefix", "--k8s-pending-queue-name", "--create-queue", "--leader-elect", "--lease-name",
    "--metrics-address", "--credentials-secret", "--credentials-access-key-name", "--credentials-secret-key-name",
    "--task-service-account", "--image-pull-secret",
    "--agent-image", "--agent-mode", "--kubeconfig", "--context", "--log-format", "--log-level",
}

SECRET_LIKE = re.compile(r"(KEY|SECRET|PASS|TOKEN|CREDENTIAL)", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^REPLACE-WITH-[A-Z-]+$")

DEFAULT_CREDENTIALS = {"clearml": {"agentk8sglueKey": "TESTACCESSKEY", "agentk8sglueSecret": "TESTSECRETKEY"}}


# ---------------------------------------------------------------------------------------------------------
# helpers

def load_all(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def deploy_files():
    return sorted(p for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")


def deploy_objects():
    return [(path, doc) for path in deploy_files() for doc in load_all(path)]


def by_kind(objects, kind):
    return [doc for doc in objects if doc["kind"] == kind]


def validate(document):
    kubernetes_validate.validate(document, KUBE_VERSION, strict=True)


def render(values=None, name="clearml-glue", namespace="clearml"):
    """Renders the chart with the Helm SDK; returns (objects, notes)."""
    merged = json.loads(json.dumps(DEFAULT_CREDENTIALS))
    for key, value in (values or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema(merged)
        rendered = chart.render(values=merged, name=name, namespace=namespace, is_install=True)
    objects, notes = [], ""
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects, notes


def is_hook(doc):
    return "helm.sh/hook" in doc["metadata"].get("annotations", {})


def check_rbac(objects, task_sa):
    """The glue's own RBAC. The chart's pre-delete hook has a Role of its own (checked by
    test_kube_chart_teardown_hook_is_exact_and_restricted)."""
    objects = [doc for doc in objects if not is_hook(doc)]
    for role in by_kind(objects, "Role") + by_kind(objects, "ClusterRole"):
        assert role["kind"] == "Role", "the glue needs no cluster-wide role"
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule[field], f"wildcard in {field}: {rule}"
            assert not rule.get("nonResourceURLs")
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    allowed = ALLOWED_RULES.get((group, resource))
                    assert allowed is not None, f"{role['metadata']['name']} grants {group}/{resource}"
                    extra = set(rule["verbs"]) - allowed
                    assert not extra, f"{group}/{resource}: verbs {extra} beyond {allowed}"
    for binding in by_kind(objects, "RoleBinding") + by_kind(objects, "ClusterRoleBinding"):
        for subject in binding["subjects"]:
            assert not (subject["kind"] == "ServiceAccount" and subject["name"] == task_sa), \
                f"{binding['metadata']['name']} binds the task ServiceAccount"
    task_accounts = [sa for sa in by_kind(objects, "ServiceAccount") if sa["metadata"]["name"] == task_sa]
    assert len(task_accounts) == 1
    assert task_accounts[0]["automountServiceAccountToken"] is False


def check_glue_pod(deployment):
    pod = deployment["spec"]["template"]["spec"]
    pod_security = pod.get("securityContext", {})
    assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    assert pod.get("hostNetwork") is not True and pod.get("hostPID") is not True
    for container in pod["containers"] + pod.get("initContainers", []):
        security = {**pod_security, **container.get("securityContext", {})}
        assert security.get("runAsNonRoot") is True
        assert security.get("runAsUser", 0) != 0
        assert security.get("allowPrivilegeEscalation") is False
        assert security.get("readOnlyRootFilesystem") is True
        assert security.get("privileged") is not True
        assert "ALL" in security.get("capabilities", {}).get("drop", [])
        assert not security.get("capabilities", {}).get("add")


def check_no_literal_credentials(objects):
    for doc in objects:
        assert doc["kind"] != "Secret", f"Secret {doc['metadata']['name']} outside secret.example.yaml"
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for env in container.get("env", []):
                if SECRET_LIKE.search(env["name"]):
                    assert "value" not in env, f"{env['name']} has a literal value"
                    assert "secretKeyRef" in env.get("valueFrom", {}), f"{env['name']} not from a Secret"
            for arg in container.get("args", []) + container.get("command", []):
                assert not re.match(r"--(access|secret)[-_]key", arg), f"credential flag in args: {arg}"


def glue_container(deployment):
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "k8s-glue")


def glue_args(deployment):
    args = glue_container(deployment)["args"]
    assert args[0] == "glue"
    parsed = {}
    for arg in args[1:]:
        flag, _, value = arg.partition("=")
        assert flag in GLUE_FLAGS, f"unknown glue flag {flag}"
        parsed.setdefault(flag, []).append(value)
    return parsed


# ---------------------------------------------------------------------------------------------------------
# deploy/

def test_kube_deploy_every_document_is_strictly_valid():
    objects = deploy_objects()
    kinds = {doc["kind"] for _, doc in objects}
    assert {"Namespace", "ServiceAccount", "Role", "RoleBinding", "Secret", "ConfigMap", "Deployment", "Service"} <= kinds
    for path, doc in objects:
        try:
            validate(doc)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {error}")


def test_kube_deploy_kustomization_lists_every_manifest_but_the_namespace_and_the_example_secret():
    # `kubectl delete -k deploy/` must not delete the namespace: it holds the user's Secret and task pods.
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    expected = {p.name for p in deploy_files()} - {"secret.example.yaml", "namespace.yaml"}
    assert set(listed) == expected
    assert len(listed) == len(set(listed))
    assert not any(doc["kind"] == "Namespace" for name in listed for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc)


def test_kube_deploy_rbac_is_exact_and_task_account_unbound():
    objects = [doc for _, doc in deploy_objects()]
    check_rbac(objects, TASK_SA)
    role = by_kind(objects, "Role")[0]
    assert role["rules"] == BASE_RULES
    binding = by_kind(objects, "RoleBinding")[0]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": GLUE_SA, "namespace": "clearml"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}


def test_kube_deploy_optional_roles_are_exact_valid_and_bound_to_the_glue():
    files = sorted((DEPLOY / "optional").glob("*.yaml"))
    assert {p.name for p in files} == set(OPTIONAL)
    for path in files:
        docs = load_all(path)
        for doc in docs:
            validate(doc)
        check_rbac(docs + [doc for _, doc in deploy_objects() if doc["kind"] == "ServiceAccount"], TASK_SA)
        (role,) = by_kind(docs, "Role")
        (binding,) = by_kind(docs, "RoleBinding")
        assert role["rules"] == OPTIONAL[path.name], path.name
        assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "clearml"
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": GLUE_SA, "namespace": "clearml"}]


def test_kube_chart_roles_equal_deploy_for_each_feature():
    """The chart gates the same rules by values: leader election adds the Lease rules, taskAsJob swaps pod
    create/delete for Job create/delete."""
    def rules(values):
        objects, _ = render(values)
        return by_kind(objects, "Role")[0]["rules"]
    assert rules({}) == BASE_RULES
    assert rules({"agentk8sglue": {"replicaCount": 2}}) == BASE_RULES + LEADER_ELECTION_RULES
    assert rules({"agentk8sglue": {"leaderElection": {"enabled": True}}}) == BASE_RULES + LEADER_ELECTION_RULES
    pod_list_watch = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]}]
    assert rules({"agentk8sglue": {"taskAsJob": True}}) == pod_list_watch + JOB_MODE_RULES + BASE_RULES[1:]
    assert rules({"agentk8sglue": {"taskAsJob": True, "replicaCount": 2}}) == pod_list_watch + JOB_MODE_RULES + BASE_RULES[1:] + LEADER_ELECTION_RULES
    assert rules({"agentk8sglue": {"podClearMLConfSecrets": True}}) == BASE_RULES + POD_CLEARML_CONF_RULES
    assert rules({"agentk8sglue": {"podClearMLConfSecrets": True, "replicaCount": 2}}) == BASE_RULES + POD_CLEARML_CONF_RULES + LEADER_ELECTION_RULES


def test_kube_deploy_glue_pod_is_non_root_and_unprivileged():
    deployment = by_kind([doc for _, doc in deploy_objects()], "Deployment")[0]
    check_glue_pod(deployment)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == GLUE_SA
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    container = glue_container(deployment)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_kube_deploy_no_literal_credentials_outside_the_example_secret():
    for path, doc in deploy_objects():
        if path.name == "secret.example.yaml":
            assert doc["kind"] == "Secret"
            values = doc.get("stringData", {})
            assert set(values) == {"agentk8sglue_key", "agentk8sglue_secret"}
            assert all(PLACEHOLDER.match(v) for v in values.values()), "the example holds placeholders only"
            assert "data" not in doc
        else:
            check_no_literal_credentials([doc])


def test_kube_deploy_glue_flags_and_task_template_fit_together():
    objects = [doc for _, doc in deploy_objects()]
    deployment = by_kind(objects, "Deployment")[0]
    args = glue_args(deployment)
    configmap = by_kind(objects, "ConfigMap")[0]
    assert args["--credentials-secret"] == [by_kind(objects, "Secret")[0]["metadata"]["name"]]
    assert args["--task-service-account"] == [TASK_SA]
    assert args["--namespace"] == [deployment["metadata"]["namespace"]]
    mounted = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert mounted["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    template = yaml.safe_load(configmap["data"]["template.yaml"])
    validate(template)  # a Pod without image is still schema-valid: the glue sets it
    assert template["kind"] == "Pod"
    assert template["spec"]["serviceAccountName"] == TASK_SA
    assert template["spec"]["automountServiceAccountToken"] is False
    assert template["spec"]["containers"][0]["name"] == "clearml-task"
    assert yaml.safe_load(configmap["data"]["queues.yaml"]) == {"queues": {}}
    service = by_kind(objects, "Service")[0]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


# ---------------------------------------------------------------------------------------------------------
# the chart, without rendering

def chart_values():
    return yaml.safe_load((CHART / "values.yaml").read_text())


def chart_schema():
    return json.loads((CHART / "values.schema.json").read_text())


def test_kube_chart_metadata_values_and_schema_parse_and_agree():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "clearml-glue" and chart["type"] == "application"
    assert re.match(r"^\d+\.\d+\.\d+$", chart["version"])
    schema = chart_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(chart_values())


@pytest.mark.parametrize("bad", [
    {"agentk8sglue": {"maxPod": 3}},                                   # typo
    {"agentk8sglue": {"maxPods": -1}},
    {"agentk8sglue": {"agentMode": "docker"}},
    {"agentk8sglue": {"queues": {"gpu": {"gpus": "two"}}}},
    {"agentk8sglue": {"apiServerUrlReference": "api.example.com"}},    # no scheme
    {"agentk8sglue": {"monitoredResources": {}}},                      # upstream Enterprise key with no equivalent
])
def test_kube_chart_schema_rejects_bad_values(bad):
    values = chart_values()
    for key, value in bad.items():
        values.setdefault(key, {}).update(value) if isinstance(values.get(key), dict) else values.__setitem__(key, value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(chart_schema()).validate(values)


def test_kube_chart_every_values_path_in_templates_exists():
    values = chart_values()

    def exists(path):
        node = values
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def schema_of_entries(path):
        node = chart_schema()
        for part in path.split("."):
            node = node["properties"][part]
        return node.get("additionalProperties") or node.get("items")

    field = r"\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)"
    missing = []
    for template in sorted((CHART / "templates").iterdir()):
        text = template.read_text()
        paths = set(re.findall(r"\.Values" + field, text))
        # Elements of a ranged map/list: {{- range $name, $q := .Values.agentk8sglue.queues }} ... $q.maxPods
        ranged = re.findall(r"range\s+\$\w+\s*,\s*\$(\w+)\s*:=\s*\.Values\.([A-Za-z0-9_.]+)", text)
        for var, base in ranged:
            entry = schema_of_entries(base)
            for rest in re.findall(r"\$" + var + field, text):
                if rest.split(".")[0] not in entry.get("properties", {}):
                    missing.append(f"{template.name}: ${var}.{rest} (an entry of .Values.{base})")
        # Variables bound to a values path: {{- $g := .Values.agentk8sglue -}} ... $g.maxPods
        for var, base in re.findall(r"(?<!, )\$([A-Za-z_]\w*)\s*:=\s*\.Values\.([A-Za-z0-9_.]+)\s", text):
            if var in {v for v, _ in ranged}:
                continue
            paths |= {f"{base}.{rest}" for rest in re.findall(r"\$" + var + field, text)}
        missing += [f"{template.name}: .Values.{p}" for p in sorted(paths) if not exists(p)]
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------------------------------------------------
# the chart, rendered by the Helm SDK

def validate_rendered(objects):
    for doc in objects:
        if doc["kind"] == "ServiceMonitor":  # a CRD: kubernetes-validate has no schema for it
            assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["spec"]["endpoints"][0]["port"] == "metrics"
            continue
        validate(doc)
        if doc["kind"] == "ConfigMap" and "template.yaml" in doc["data"]:
            validate(yaml.safe_load(doc["data"]["template.yaml"]))


def test_kube_chart_lints_clean_in_strict_mode():
    report = helm_python.lint(CHART, DEFAULT_CREDENTIALS, strict=True, namespace="clearml", kube_version=f"v{KUBE_VERSION}.0")
    assert not report["errors"], report
    assert not [m for m in report["messages"] if m["severity"] >= 2], report


def test_kube_chart_needs_credentials_or_an_existing_secret():
    with helm_python.Chart.load(CHART) as chart, pytest.raises(helm_python.HelmError, match="agentk8sglueKey is required"):
        chart.render(values={}, name="clearml-glue", namespace="clearml")
    objects, notes = render({"clearml": {"agentk8sglueKey": "", "agentk8sglueSecret": "", "existingAgentk8sglueSecret": "mine"}})
    assert not by_kind(objects, "Secret")
    deployment = by_kind(objects, "Deployment")[0]
    refs = [e["valueFrom"]["secretKeyRef"] for e in glue_container(deployment)["env"] if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]]
    assert {(r["name"], r["key"]) for r in refs} == {("mine", "agentk8sglue_key"), ("mine", "agentk8sglue_secret")}
    assert glue_args(deployment)["--credentials-secret"] == ["mine"]
    # Task pods read the same two keys as the glue: an upstream release's Secret works as it is.
    assert glue_args(deployment)["--credentials-access-key-name"] == ["agentk8sglue_key"]
    assert glue_args(deployment)["--credentials-secret-key-name"] == ["agentk8sglue_secret"]
    assert "agentk8sglue_key" in notes


def test_kube_chart_defaults_render_valid_secure_and_equal_to_deploy():
    objects, _ = render()
    validate_rendered(objects)
    check_rbac(objects, TASK_SA)
    check_glue_pod(by_kind(objects, "Deployment")[0])
    secrets = by_kind(objects, "Secret")
    assert len(secrets) == 1
    data = {k: base64.b64decode(v).decode() for k, v in secrets[0]["data"].items()}
    assert data == {"agentk8sglue_key": "TESTACCESSKEY", "agentk8sglue_secret": "TESTSECRETKEY"}
    check_no_literal_credentials([doc for doc in objects if doc["kind"] != "Secret"])

    def normalized(doc):
        doc = json.loads(json.dumps(doc))
        labels = doc["metadata"].get("labels", {})
        labels.pop("helm.sh/chart", None)
        labels.pop("app.kubernetes.io/managed-by", None)
        if doc["kind"] == "Deployment":
            doc["spec"]["template"]["metadata"].pop("annotations", None)
        if doc["kind"] == "ConfigMap":
            doc["data"] = {k: yaml.safe_load(v) for k, v in doc["data"].items()}
        if doc["kind"] == "Secret":
            doc.pop("data", None)
            doc.pop("stringData", None)
        return doc

    # The pre-delete hook's objects exist only while `helm uninstall` runs; deploy/ documents the same teardown
    # as a command (deploy/README.md).
    chart_objects = {(d["kind"], d["metadata"]["name"]): normalized(d) for d in objects if not is_hook(d)}
    deploy = {(d["kind"], d["metadata"]["name"]): normalized(d) for _, d in deploy_objects() if d["kind"] != "Namespace"}
    assert set(chart_objects) == set(deploy)
    for key in chart_objects:
        assert chart_objects[key] == deploy[key], f"{key}: chart defaults and deploy/ differ"
    example = next(d for _, d in deploy_objects() if d["kind"] == "Secret")
    assert set(example["stringData"]) == set(secrets[0]["data"])


def test_kube_chart_full_featured_values_render_valid():
    values = {
        "clearml": {"clearmlConfig": "agent { package_manager { type: uv } }"},
        "imageCredentials": {"enabled": True, "registry": "registry.example.com", "username": "u", "password": "p"},
        "imagePullSecrets": ["extra-pull"],
        "global": {"imageRegistry": "registry.example.com"},
        "agentk8sglue": {
            "replicaCount": 2, "maxPods": 8, "queue": "high, default", "createQueueIfNotExists": True,
            "clearmlcheckCertificate": False,
            "extraEnvs": [{"name": "K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES", "value": "30"}],
            "extraArgs": ["--log-level=debug"],
            "additionalRoleBindings": ["reader"],
            "taskServiceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/tasks"}},
            "basePodTemplate": {
                "labels": {"kueue.x-k8s.io/queue-name": "ml"}, "schedulerName": "volcano", "runtimeClassName": "nvidia",
                "env": [{"name": "CLEARML_AGENT_GIT_USER", "value": "bot"}],
                "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "volumes": [{"name": "cache", "emptyDir": {}}], "volumeMounts": [{"name": "cache", "mountPath": "/root/.cache"}],
            },
            "queues": {
                "gpu": {"maxPods": 2, "gpus": 1, "image": "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
                        "templateOverrides": {"nodeSelector": {"pool": "gpu"}, "resources": {"requests": {"cpu": "4"}},
                                              "labels": {"tier": "gpu"}}},
                "services": {"maxPods": 20, "overrides": {"spec": {"priorityClassName": "low"}}},
                "high": {"template": {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "clearml-task"}]}}},
            },
        },
        "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}},
    }
    objects, notes = render(values)
    validate_rendered(objects)
    check_rbac(objects, TASK_SA)
    deployment = by_kind(objects, "Deployment")[0]
    check_glue_pod(deployment)
    args = glue_args(deployment)
    assert args["--queue"] == ["high,default,gpu,services"]  # `queue` order first, then the rest of `queues`
    assert args["--max-pods"] == ["8"] and "--create-queue" in args and "--leader-elect" in args
    assert args["--image-pull-secret"] == ["clearml-glue-ark", "extra-pull"]
    assert deployment["spec"]["replicas"] == 2 and deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert glue_container(deployment)["image"] == "registry.example.com/clearml-glue:0.1.0"
    env = {e["name"]: e.get("value") for e in glue_container(deployment)["env"]}
    assert env["CLEARML_API_HOST_VERIFY_CERT"] == "false"
    assert env["CLEARML_CONFIG_FILE"] == "/etc/clearml/clearml.conf"
    assert env["K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES"] == "30"
    lease_rules = [r for r in by_kind(objects, "Role")[0]["rules"] if "leases" in r["resources"]]
    assert {v for r in lease_rules for v in r["verbs"]} == {"get", "create", "update"}
    assert [r["resourceNames"] for r in lease_rules if "update" in r["verbs"]] == [["clearml-glue"]]
    assert {s["metadata"]["name"] for s in by_kind(objects, "Secret")} == {"clearml-glue-ac", "clearml-glue-conf", "clearml-glue-ark"}
    pull = next(s for s in by_kind(objects, "Secret") if s["type"] == "kubernetes.io/dockerconfigjson")
    auths = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]
    assert base64.b64decode(auths["registry.example.com"]["auth"]).decode() == "u:p"

    configmap = by_kind(objects, "ConfigMap")[0]
    template = yaml.safe_load(configmap["data"]["template.yaml"])
    assert template["spec"]["schedulerName"] == "volcano" and template["spec"]["runtimeClassName"] == "nvidia"
    assert template["metadata"]["labels"] == {"kueue.x-k8s.io/queue-name": "ml"}
    queues = yaml.safe_load(configmap["data"]["queues.yaml"])["queues"]
    assert queues["gpu"] == {
        "maxPods": 2, "gpus": 1, "image": "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
        "overrides": {"metadata": {"labels": {"tier": "gpu"}},
                      "spec": {"nodeSelector": {"pool": "gpu"},
                               "containers": [{"name": "clearml-task", "resources": {"requests": {"cpu": "4"}}}]}},
    }
    assert queues["services"] == {"maxPods": 20, "overrides": {"spec": {"priorityClassName": "low"}}}
    assert queues["high"]["template"]["kind"] == "Pod"
    assert "WARNING: TLS certificate verification" in notes
    task_sa = next(sa for sa in by_kind(objects, "ServiceAccount") if sa["metadata"]["name"] == TASK_SA)
    assert task_sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/tasks"}


def test_kube_chart_task_as_job_renders_a_job_template_and_the_jobs_rule():
    objects, _ = render({"agentk8sglue": {"taskAsJob": True, "queues": {"gpu": {"templateOverrides": {"nodeSelector": {"a": "b"}}}}}})
    validate_rendered(objects)
    check_rbac(objects, TASK_SA)
    configmap = by_kind(objects, "ConfigMap")[0]
    template = yaml.safe_load(configmap["data"]["template.yaml"])
    assert template["kind"] == "Job" and template["metadata"]["namespace"] == "clearml"
    assert template["spec"]["template"]["spec"]["serviceAccountName"] == TASK_SA
    queues = yaml.safe_load(configmap["data"]["queues.yaml"])["queues"]
    assert queues["gpu"]["overrides"] == {"spec": {"template": {"spec": {"nodeSelector": {"a": "b"}}}}}
    rules = by_kind(objects, "Role")[0]["rules"]
    assert any("jobs" in r["resources"] for r in rules)
    assert not any("leases" in r["resources"] for r in rules)
    env = {e["name"]: e.get("value") for e in glue_container(by_kind(objects, "Deployment")[0])["env"]}
    assert env["CLEARML_K8S_GLUE_KIND"] == "job"


def test_kube_chart_existing_accounts_and_no_metrics_service():
    objects, _ = render({"agentk8sglue": {"serviceExistingAccountName": "glue-sa",
                                          "taskServiceAccount": {"create": False, "name": "tasks"}},
                         "metrics": {"service": {"enabled": False}}})
    validate_rendered(objects)
    glue_objects = [doc for doc in objects if not is_hook(doc)]
    assert not by_kind(glue_objects, "ServiceAccount") and not by_kind(glue_objects, "Service")
    deployment = by_kind(objects, "Deployment")[0]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "glue-sa"
    assert glue_args(deployment)["--task-service-account"] == ["tasks"]
    assert by_kind(objects, "RoleBinding")[0]["subjects"][0]["name"] == "glue-sa"


def test_kube_chart_teardown_hook_is_exact_and_restricted():
    """The pre-delete hook (values: teardown) runs kubectl under its own account, allowed exactly what
    `kubectl delete deployment/<glue> --cascade=foreground --wait` calls on the release's Deployment, in a pod
    that passes Pod Security `restricted`; every hook object is deleted once the hook succeeded. Run for real
    by Tests/Conformance/helm."""
    objects, _ = render()
    hooks = [doc for doc in objects if is_hook(doc)]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in hooks) == [
        ("ConfigMap", "clearml-glue-teardown"), ("Job", "clearml-glue-teardown"), ("Role", "clearml-glue-teardown"),
        ("RoleBinding", "clearml-glue-teardown"), ("ServiceAccount", "clearml-glue-teardown")]
    for doc in hooks:
        validate(doc)
        annotations = doc["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-delete"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
        assert int(annotations["helm.sh/hook-weight"]) == (0 if doc["kind"] == "Job" else -10)
    (role,) = by_kind(hooks, "Role")
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["clearml-glue"],
                              "verbs": ["get", "list", "watch", "delete"]}]
    (binding,) = by_kind(hooks, "RoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "clearml-glue-teardown", "namespace": "clearml"}]
    (job,) = by_kind(hooks, "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "clearml-glue-teardown" and pod["automountServiceAccountToken"] is False
    # Not the glue's selector labels: the Deployment and the metrics Service must not count the hook's pod.
    assert "app.kubernetes.io/name" not in job["spec"]["template"]["metadata"]["labels"]
    (container,) = pod["containers"]
    assert container["args"][:3] == ["delete", "deployment/clearml-glue", "--namespace=clearml"]
    assert {"--cascade=foreground", "--wait", "--ignore-not-found"} <= set(container["args"])
    security = {**pod["securityContext"], **container["securityContext"]}
    assert security["runAsNonRoot"] is True and security["runAsUser"] != 0 and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"] and security["seccompProfile"]["type"] == "RuntimeDefault"
    assert not [d for d in render({"teardown": {"enabled": False}})[0] if is_hook(d)]
