"""Runs upstream clearml-agent's k8s glue (clearml_agent.glue.k8s.K8sIntegration, PyPI clearml-agent 3.0.3)
for bench/dispatch_bench.py. Server and credentials come from CLEARML_API_*, the cluster from KUBECONFIG with
kubectl on PATH; K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT=1 keeps the template's command (nothing is installed).
"""
import argparse

from clearml_agent.glue.k8s import K8sIntegration

parser = argparse.ArgumentParser()
parser.add_argument("--queue", required=True)
parser.add_argument("--namespace", default="clearml")
parser.add_argument("--template-yaml", required=True)
parser.add_argument("--pending-queue", default="k8s_scheduler_upstream")
args = parser.parse_args()

glue = K8sIntegration(k8s_pending_queue_name=args.pending_queue, template_yaml=args.template_yaml,
                      namespace=args.namespace)
glue.k8s_daemon(args.queue)
