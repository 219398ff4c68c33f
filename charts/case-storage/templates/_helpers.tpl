{{/* Names: everything is prefixed by the release's fullname (63 chars max). */}}
{{- define "cs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* "cs.name" (dict "root" $ "component" "upload-api") */}}
{{- define "cs.name" -}}
{{- printf "%s-%s" (include "cs.fullname" .root | trunc 45 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "cs.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cs.labels" -}}
{{ include "cs.selectorLabels" . }}
app.kubernetes.io/part-of: case-storage
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Labels on every object of the release that has no component. */}}
{{- define "cs.commonLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: case-storage
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* "cs.image" (dict "root" $ "app" "upload-api") */}}
{{- define "cs.image" -}}
{{- $img := .root.Values.image -}}
{{- $tag := $img.tag | default .root.Chart.AppVersion -}}
{{- if $img.digests -}}{{- with get $img.digests .app -}}{{- $tag = printf "%s@%s" $tag . -}}{{- end -}}{{- end -}}
{{- printf "%s/%s:%s" $img.registry .app $tag -}}
{{- end -}}

{{- define "cs.agentNamespace" -}}
{{- .Values.agents.namespace | default (printf "%s-agents" .Release.Namespace) -}}
{{- end -}}

{{- define "cs.configMapName" -}}{{ include "cs.name" (dict "root" . "component" "config") }}{{- end -}}

{{/* Container securityContext shared by every container we run. */}}
{{- define "cs.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "cs.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Environment every app container gets besides the ConfigMap: the secret references.
Only names of Secrets the operator created are rendered; nothing secret is in values.
*/}}
{{- define "cs.secretEnv" -}}
{{- $s := .Values.secrets -}}
{{- with $s.database.existingSecret }}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: {{ $s.database.passwordKey | quote }} }
{{- end }}
{{- with $s.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: {{ $s.redis.urlKey | quote }} }
{{- end }}
{{- with $s.s3.existingSecret }}
- name: S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: {{ $s.s3.accessKeyIdKey | quote }} }
- name: S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: {{ $s.s3.secretAccessKeyKey | quote }} }
{{- end }}
{{- with $s.auth.existingSecret }}
- name: AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: {{ $s.auth.jwtSecretKey | quote }} }
{{- end }}
{{- end -}}

{{- define "cs.probes" -}}
startupProbe:
  httpGet: { path: /health/live, port: http }
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: { path: /health/live, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  # /health/ready pings PostgreSQL, Redis and the bucket (2 s timeout each).
  httpGet: { path: /health/ready, port: http }
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 2
{{- end -}}
