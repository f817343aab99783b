{{- define "sluice-collector.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "sluice-collector.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "sluice-collector.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "sluice-collector.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{/* The Secret holding the generated API key (keys api-key and api-key-sha256). */}}
{{- define "sluice-collector.apiKeySecret" -}}
{{- default (printf "%s-api-key" (include "sluice-collector.fullname" .)) .Values.apiKey.existingSecret -}}
{{- end -}}
{{/*
"true" when the cluster serves API version .api (or it is listed in .ctx.Values.apiVersions, for rendering without a
cluster, e.g. `helm template` or GitOps tools), else "". Usage: include "sluice-collector.hasApi" (dict "ctx" . "api" "x/v1")
*/}}
{{- define "sluice-collector.hasApi" -}}
{{- if or (.ctx.Capabilities.APIVersions.Has .api) (has .api (.ctx.Values.apiVersions | default list)) -}}true{{- end -}}
{{- end -}}
{{/* The HPA scales on a custom metric: only where the custom metrics API (e.g. prometheus-adapter) is served. */}}
{{- define "sluice-collector.hpa" -}}
{{- if and .Values.autoscaling.enabled (include "sluice-collector.hasApi" (dict "ctx" . "api" "custom.metrics.k8s.io/v1beta1")) -}}true{{- end -}}
{{- end -}}
