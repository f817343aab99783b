{{- define "sluice-agent.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "sluice-agent.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "sluice-agent.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "sluice-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{/* The collector chart names its Service <release>-sluice-collector (its fullname). */}}
{{- define "sluice-agent.endpoint" -}}
{{- if .Values.collector.endpoint -}}
{{- .Values.collector.endpoint -}}
{{- else -}}
{{- printf "%s-sluice-collector.%s:%d" .Values.collector.release (default .Release.Namespace .Values.collector.namespace) (int .Values.collector.port) -}}
{{- end -}}
{{- end -}}
{{- define "sluice-agent.credentialsSecret" -}}
{{- default (printf "%s-sluice-collector-api-key" .Values.collector.release) .Values.credentials.secretName -}}
{{- end -}}
{{/* collector: and common settings of agent.yaml */}}
{{- define "sluice-agent.collectorYaml" -}}
collector:
  endpoints: [{{ include "sluice-agent.endpoint" . | quote }}]
  {{- if .Values.credentials.fromFile }}
  credentialsFile: /etc/sluice/credentials/{{ .Values.credentials.key }}
  {{- else }}
  # the API key from the mounted Secret, passed in the env by the pod spec
  credentials: "${SLUICE_CREDENTIALS}"
  {{- end }}
http: {port: 9464}
{{- end -}}
{{- define "sluice-agent.env" -}}
- name: SLUICE_CREDENTIALS
  valueFrom:
    secretKeyRef: {name: {{ include "sluice-agent.credentialsSecret" . }}, key: {{ .Values.credentials.key }}}
{{- with .Values.javaOpts }}
- name: JAVA_TOOL_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- end -}}
{{- define "sluice-agent.probes" -}}
ports:
  - {name: http, containerPort: 9464}
livenessProbe:
  httpGet: {path: /livez, port: http}
  periodSeconds: 10
  initialDelaySeconds: 10
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
{{- end -}}
