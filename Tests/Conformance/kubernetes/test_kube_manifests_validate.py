"""Pod manifests the glue and the tests produce, checked by kubernetes-validate in strict mode."""
import json

import kubernetes_validate
import pytest

from test_kube_kubectl import manifest

import yaml


def validate(document):
    return kubernetes_validate.validate(document, "1.32", strict=True)


def test_kube_conformance_manifests_are_strictly_valid():
    for text in [manifest("lifecycle", ["sh", "-c", "echo hi"])]:
        validate(yaml.safe_load(text))


def test_kube_strict_validation_catches_typos():
    document = yaml.safe_load(manifest("typo", ["true"]))
    document["spec"]["containers"][0]["commandd"] = ["x"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(document)


def test_kube_pods_as_the_cluster_stores_them_are_strictly_valid(kubectl):
    """What DevCluster hands back after defaulting must still be a schema-valid Pod (status aside)."""
    kubectl.run("apply", "-f", "-", input=manifest("validated", ["sh", "-c", "echo hi"]))
    stored = json.loads(kubectl.run("get", "pod", "validated", "-o", "json").stdout)
    stored.pop("status", None)
    validate(stored)
    kubectl.run("delete", "pod", "validated")
