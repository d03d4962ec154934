{{/* Values written for the upstream clearml-agent chart that this chart cannot honour. Each is refused with
     the key and what to use instead, all at once, so an upstream values file fails with a to-do list rather
     than installing something that silently behaves differently. The schema accepts these keys only so
     that this message, and not a bare "additional property" error, is what the user sees; values.yaml does
     not list them, so they are read with `get`. */}}
{{- define "clearml-glue.checkUpstreamValues" -}}
{{- $g := .Values.agentk8sglue -}}
{{- $problems := list -}}
{{- if has $g.image.repository (list "allegroai/clearml-agent-k8s-base" "clearml/clearml-agent-k8s-base") -}}
{{- $problems = append $problems (printf "agentk8sglue.image.repository %q is the clearml-agent chart's image, which cannot run this chart: set agentk8sglue.image.repository and agentk8sglue.image.tag to your clearml-glue image (built from this repository's Dockerfile)" $g.image.repository) -}}
{{- end -}}
{{- if hasKey $g "createQueues" -}}
{{- $problems = append $problems "agentk8sglue.createQueues is not supported: use agentk8sglue.createQueueIfNotExists" -}}
{{- end -}}
{{- range $name, $q := $g.queues -}}
{{- if and $q (hasKey $q "queueSettings") -}}
{{- $settings := $q.queueSettings | default dict -}}
{{- $keys := list -}}
{{- if hasKey $settings "maxPods" }}{{- $keys = append $keys (printf "agentk8sglue.queues.%s.queueSettings.maxPods -> agentk8sglue.queues.%s.maxPods" $name $name) -}}{{- end -}}
{{- if hasKey $settings "defaultImage" }}{{- $keys = append $keys (printf "agentk8sglue.queues.%s.queueSettings.defaultImage -> agentk8sglue.queues.%s.image" $name $name) -}}{{- end -}}
{{- $problems = append $problems (printf "agentk8sglue.queues.%s.queueSettings is not supported: move its keys up one level (%s)" $name (default "maxPods, image" (join ", " $keys))) -}}
{{- end -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "values written for the clearml-agent chart need changes:\n  - %s\n(see charts/README.md, \"Upgrading from the clearml-agent chart\")" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
