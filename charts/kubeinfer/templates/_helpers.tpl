{{/* The release's full name: the release name, prefixed with the chart name unless it already contains it. */}}
{{- define "kubeinfer.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubeinfer.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "kubeinfer.labels" -}}
{{ include "kubeinfer.commonLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Labels for objects that belong to the release but not to the operator component (the CRD). */}}
{{- define "kubeinfer.commonLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kubeinfer
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "kubeinfer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubeinfer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false (the operator must run as an account the RBAC binds)" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kubeinfer.operatorImage" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "kubeinfer.runtimeImage" -}}
{{- default (printf "ghcr.io/kubeinfer/kubeinfer-runtime:%s" .Chart.AppVersion) .Values.runtime.image -}}
{{- end -}}

{{/* Leader election: on when asked, or whenever more than one replica runs. */}}
{{- define "kubeinfer.leaderElection" -}}
{{- $enabled := .Values.leaderElection.enabled -}}
{{- $several := gt (int .Values.replicaCount) 1 -}}
{{- if kindIs "bool" $enabled -}}
{{- if and (not $enabled) $several -}}
{{- fail (printf "leaderElection.enabled=false with replicaCount=%d: replicas without a leader Lease would reconcile the same objects at once. Set replicaCount to 1, or leave leaderElection.enabled unset." (int .Values.replicaCount)) -}}
{{- end -}}
{{- if $enabled -}}true{{- end -}}
{{- else if $several -}}true{{- end -}}
{{- end -}}

{{/*
A Role or ClusterRole and its binding to the operator's ServiceAccount.
Takes a dict: root (the top context), kind (Role or ClusterRole), name, namespace (Roles only), rules.
*/}}
{{- define "kubeinfer.roleWithBinding" -}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
metadata:
  name: {{ .name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "kubeinfer.labels" .root | nindent 4 }}
rules:
  {{- toYaml .rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}Binding
metadata:
  name: {{ .name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "kubeinfer.labels" .root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .kind }}
  name: {{ .name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "kubeinfer.serviceAccountName" .root }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}
