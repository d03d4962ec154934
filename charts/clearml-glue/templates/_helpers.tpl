{{/* Names, labels and the documents the glue reads (pod template, queue config). */}}

{{- define "clearml-glue.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "clearml-glue.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "clearml-glue.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clearml-glue.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "clearml-glue.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "clearml-glue.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The glue's ServiceAccount. */}}
{{- define "clearml-glue.serviceAccountName" -}}
{{- default (include "clearml-glue.fullname" .) .Values.agentk8sglue.serviceExistingAccountName -}}
{{- end -}}

{{/* The task pods' ServiceAccount. */}}
{{- define "clearml-glue.taskServiceAccountName" -}}
{{- default (printf "%s-task" (include "clearml-glue.fullname" .)) .Values.agentk8sglue.taskServiceAccount.name -}}
{{- end -}}

{{/* The Secret with the ClearML credentials (keys: clearml.credentialsSecretKeys). */}}
{{- define "clearml-glue.credentialsSecretName" -}}
{{- default (printf "%s-ac" (include "clearml-glue.fullname" .)) .Values.clearml.existingAgentk8sglueSecret -}}
{{- end -}}

{{/* The two keys of the credentials Secret, as JSON {accessKey, secretKey}; the upstream chart's by default. They
     must differ: the Secret this chart creates holds both. */}}
{{- define "clearml-glue.credentialsSecretKeys" -}}
{{- $keys := .Values.clearml.credentialsSecretKeys | default dict -}}
{{- $access := default "agentk8sglue_key" $keys.accessKey -}}
{{- $secret := default "agentk8sglue_secret" $keys.secretKey -}}
{{- if eq $access $secret -}}
{{- fail (printf "clearml.credentialsSecretKeys.accessKey and .secretKey are both %q: name the two keys of the credentials Secret (defaults agentk8sglue_key and agentk8sglue_secret)" $access) -}}
{{- end -}}
{{- toJson (dict "accessKey" $access "secretKey" $secret) -}}
{{- end -}}

{{/* Secrets holding agentk8sglue.fileMounts (glue pod) and agentk8sglue.basePodTemplate.fileMounts (task pods). */}}
{{- define "clearml-glue.glueFileMountsSecretName" -}}
{{- printf "%s-afm" (include "clearml-glue.fullname" .) -}}
{{- end -}}

{{- define "clearml-glue.taskFileMountsSecretName" -}}
{{- printf "%s-tfm" (include "clearml-glue.fullname" .) -}}
{{- end -}}

{{/* fileMounts as volumeMounts of one volume: each file at <folderPath>/<name>, read-only. */}}
{{- define "clearml-glue.fileMountsVolumeMounts" -}}
{{- $volume := index . 0 -}}
{{- $mounts := list -}}
{{- range (index . 1) -}}
{{- $mounts = append $mounts (dict "name" $volume "mountPath" (printf "%s/%s" (trimSuffix "/" .folderPath) .name) "subPath" .name "readOnly" true) -}}
{{- end -}}
{{- toJson $mounts -}}
{{- end -}}

{{- define "clearml-glue.clearmlConfigSecretName" -}}
{{- default (printf "%s-conf" (include "clearml-glue.fullname" .)) .Values.clearml.existingClearmlConfigSecret -}}
{{- end -}}

{{- define "clearml-glue.hasClearmlConfig" -}}
{{- if or .Values.clearml.clearmlConfig .Values.clearml.existingClearmlConfigSecret -}}true{{- end -}}
{{- end -}}

{{- define "clearml-glue.pullSecretName" -}}
{{- default (printf "%s-ark" (include "clearml-glue.fullname" .)) .Values.imageCredentials.existingSecret -}}
{{- end -}}

{{/* All pull-secret names, for the glue pod and (through --image-pull-secret) for task pods. */}}
{{- define "clearml-glue.pullSecretNames" -}}
{{- $names := list -}}
{{- if .Values.imageCredentials.enabled -}}
{{- $names = append $names (include "clearml-glue.pullSecretName" .) -}}
{{- end -}}
{{- range .Values.imagePullSecrets -}}
{{- if kindIs "map" . -}}
{{- $names = append $names .name -}}
{{- else -}}
{{- $names = append $names . -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{- define "clearml-glue.image" -}}
{{- $image := .Values.agentk8sglue.image -}}
{{- $registry := default .Values.global.imageRegistry $image.registry -}}
{{- $tag := default .Chart.AppVersion $image.tag -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "clearml-glue.leaderElect" -}}
{{- if or .Values.agentk8sglue.leaderElection.enabled (gt (int .Values.agentk8sglue.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{- define "clearml-glue.leaseName" -}}
{{- default (include "clearml-glue.fullname" .) .Values.agentk8sglue.leaderElection.leaseName -}}
{{- end -}}

{{/* Queues to serve: `queue` (comma list, in order), then the keys of `queues` not already in it. */}}
{{- define "clearml-glue.queueList" -}}
{{- $queues := list -}}
{{- range (splitList "," (toString .Values.agentk8sglue.queue)) -}}
{{- $q := trim . -}}
{{- if and $q (not (has $q $queues)) -}}{{- $queues = append $queues $q -}}{{- end -}}
{{- end -}}
{{- range $name, $_ := .Values.agentk8sglue.queues -}}
{{- if not (has $name $queues) -}}{{- $queues = append $queues $name -}}{{- end -}}
{{- end -}}
{{- if not $queues -}}
{{- fail "no queue to serve: set agentk8sglue.queue or agentk8sglue.queues" -}}
{{- end -}}
{{- join "," $queues -}}
{{- end -}}

{{/* Wraps a pod-shaped document (metadata + spec) as a Pod, or as a Job when taskAsJob is on; the namespace
     goes on the outer object, where the glue reads it. */}}
{{- define "clearml-glue.wrapKind" -}}
{{- $root := index . 0 -}}
{{- $pod := index . 1 -}}
{{- $namespace := index . 2 -}}
{{- if $root.Values.agentk8sglue.taskAsJob -}}
{{- $job := dict "apiVersion" "batch/v1" "kind" "Job" "metadata" (dict "namespace" $namespace) "spec" (dict "backoffLimit" 0 "template" $pod) -}}
{{- toYaml $job -}}
{{- else -}}
{{- $_ := set (index $pod "metadata") "namespace" $namespace -}}
{{- toYaml (merge (dict "apiVersion" "v1" "kind" "Pod") $pod) -}}
{{- end -}}
{{- end -}}

{{/* The base task pod template, from agentk8sglue.basePodTemplate. The glue adds the name, labels, image,
     command, ClearML environment, credentials (secretKeyRef) and the agent's init container. */}}
{{- define "clearml-glue.podTemplate" -}}
{{- $t := .Values.agentk8sglue.basePodTemplate -}}
{{- $container := dict "name" "clearml-task" -}}
{{- with $t.resources }}{{- $_ := set $container "resources" . -}}{{- end -}}
{{- with $t.env }}{{- $_ := set $container "env" . -}}{{- end -}}
{{- $mounts := $t.volumeMounts | default list -}}
{{- $volumes := $t.volumes | default list -}}
{{- if $t.fileMounts -}}
{{- $mounts = concat $mounts (include "clearml-glue.fileMountsVolumeMounts" (list "clearml-file-mounts" $t.fileMounts) | fromJsonArray) -}}
{{- $volumes = append $volumes (dict "name" "clearml-file-mounts" "secret" (dict "secretName" (include "clearml-glue.taskFileMountsSecretName" .))) -}}
{{- end -}}
{{- with $mounts }}{{- $_ := set $container "volumeMounts" . -}}{{- end -}}
{{- with $t.containerSecurityContext }}{{- $_ := set $container "securityContext" . -}}{{- end -}}
{{- $spec := dict "serviceAccountName" (include "clearml-glue.taskServiceAccountName" .) "automountServiceAccountToken" false "restartPolicy" "Never" "containers" (list $container) -}}
{{- with $t.podSecurityContext }}{{- $_ := set $spec "securityContext" . -}}{{- end -}}
{{- with $t.nodeSelector }}{{- $_ := set $spec "nodeSelector" . -}}{{- end -}}
{{- with $t.tolerations }}{{- $_ := set $spec "tolerations" . -}}{{- end -}}
{{- with $t.affinity }}{{- $_ := set $spec "affinity" . -}}{{- end -}}
{{- with $t.priorityClassName }}{{- $_ := set $spec "priorityClassName" . -}}{{- end -}}
{{- with $t.schedulerName }}{{- $_ := set $spec "schedulerName" . -}}{{- end -}}
{{- with $t.runtimeClassName }}{{- $_ := set $spec "runtimeClassName" . -}}{{- end -}}
{{- with $t.hostAliases }}{{- $_ := set $spec "hostAliases" . -}}{{- end -}}
{{- with $t.initContainers }}{{- $_ := set $spec "initContainers" . -}}{{- end -}}
{{- with $volumes }}{{- $_ := set $spec "volumes" . -}}{{- end -}}
{{- $metadata := dict -}}
{{- with $t.labels }}{{- $_ := set $metadata "labels" . -}}{{- end -}}
{{- with $t.annotations }}{{- $_ := set $metadata "annotations" . -}}{{- end -}}
{{- include "clearml-glue.wrapKind" (list . (dict "metadata" $metadata "spec" $spec) .Release.Namespace) -}}
{{- end -}}

{{/* A queue's templateOverrides (the simplified, Enterprise-style keys) as a pod fragment. */}}
{{- define "clearml-glue.templateOverrides" -}}
{{- $root := index . 0 -}}
{{- $o := index . 1 -}}
{{- $container := dict "name" "clearml-task" -}}
{{- with $o.resources }}{{- $_ := set $container "resources" . -}}{{- end -}}
{{- with $o.env }}{{- $_ := set $container "env" . -}}{{- end -}}
{{- with $o.extraVolumeMounts }}{{- $_ := set $container "volumeMounts" . -}}{{- end -}}
{{- $spec := dict -}}
{{- if gt (len $container) 1 }}{{- $_ := set $spec "containers" (list $container) -}}{{- end -}}
{{- with $o.nodeSelector }}{{- $_ := set $spec "nodeSelector" . -}}{{- end -}}
{{- with $o.tolerations }}{{- $_ := set $spec "tolerations" . -}}{{- end -}}
{{- with $o.affinity }}{{- $_ := set $spec "affinity" . -}}{{- end -}}
{{- with $o.priorityClassName }}{{- $_ := set $spec "priorityClassName" . -}}{{- end -}}
{{- with $o.schedulerName }}{{- $_ := set $spec "schedulerName" . -}}{{- end -}}
{{- with $o.runtimeClassName }}{{- $_ := set $spec "runtimeClassName" . -}}{{- end -}}
{{- with $o.extraVolumes }}{{- $_ := set $spec "volumes" . -}}{{- end -}}
{{- $metadata := dict -}}
{{- with $o.labels }}{{- $_ := set $metadata "labels" . -}}{{- end -}}
{{- with $o.annotations }}{{- $_ := set $metadata "annotations" . -}}{{- end -}}
{{- $pod := dict -}}
{{- if $metadata }}{{- $_ := set $pod "metadata" $metadata -}}{{- end -}}
{{- if $spec }}{{- $_ := set $pod "spec" $spec -}}{{- end -}}
{{- if $root.Values.agentk8sglue.taskAsJob -}}
{{- toJson (dict "spec" (dict "template" $pod)) -}}
{{- else -}}
{{- toJson $pod -}}
{{- end -}}
{{- end -}}

{{/* The --queue-config document: queues: {<name>: {template, overrides, maxPods, image, gpus}}. */}}
{{- define "clearml-glue.queueConfig" -}}
{{- $queues := dict -}}
{{- range $name, $q := .Values.agentk8sglue.queues -}}
{{- $q = $q | default dict -}}
{{- $entry := dict -}}
{{- if $q.template }}{{- $_ := set $entry "template" $q.template -}}{{- end -}}
{{- $overrides := dict -}}
{{- if $q.templateOverrides -}}
{{- $overrides = fromJson (include "clearml-glue.templateOverrides" (list $ $q.templateOverrides)) -}}
{{- end -}}
{{- if $q.overrides -}}
{{- $overrides = mergeOverwrite $overrides (deepCopy $q.overrides) -}}
{{- end -}}
{{- if $overrides }}{{- $_ := set $entry "overrides" $overrides -}}{{- end -}}
{{- if $q.maxPods }}{{- $_ := set $entry "maxPods" (int $q.maxPods) -}}{{- end -}}
{{- if $q.image }}{{- $_ := set $entry "image" $q.image -}}{{- end -}}
{{- if $q.gpus }}{{- $_ := set $entry "gpus" (int $q.gpus) -}}{{- end -}}
{{- $_ := set $queues $name $entry -}}
{{- end -}}
{{- toYaml (dict "queues" $queues) -}}
{{- end -}}
