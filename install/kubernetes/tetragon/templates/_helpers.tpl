{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{- define "tetragon.name" -}}
{{- default .Release.Name .Values.tetragon.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tetragon.configMapName" -}}
{{- printf "%s-config" (include "tetragon.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tetragon.serviceAccount" -}}
{{- default (include "tetragon.name" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "tetragon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tetragon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tetragon.labels" -}}
{{ include "tetragon.selectorLabels" . }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: tetragon
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- end }}

{{- define "tetragon.image" -}}
{{- if .Values.tetragon.image.override }}
{{- .Values.tetragon.image.override }}
{{- else }}
{{- printf "%s:%s" .Values.tetragon.image.repository (.Values.tetragon.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}
