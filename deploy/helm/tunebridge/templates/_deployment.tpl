{{/*
One Deployment. Takes a dict:
  root     the chart's root context
  name     the component name (objects are <release>-<name>)
  service  the Tunebridge service it runs (python -m services.<service>)
  svc      that service's entry of .Values.services
  env      extra environment variables (a map)
*/}}
{{- define "tunebridge.deployment" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $ctx := dict "root" $root "name" .name }}
{{- $section := upper .service }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "tunebridge.serviceName" $ctx }}
  labels:
    {{- include "tunebridge.labels" $ctx | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "tunebridge.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tunebridge.selectorLabels" $ctx | nindent 8 }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $root.Values.opsPort | quote }}
        prometheus.io/path: /metrics
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .name }}
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["python", "-m", "services.{{ .service }}"]
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          env:
            - name: NATS_URL
              value: {{ include "tunebridge.natsUrl" $root | quote }}
            {{- with (include "tunebridge.redisUrl" $root) }}
            - name: REDIS_URL
              value: {{ . | quote }}
            {{- end }}
            - name: TUNEBRIDGE_TRANSPORT__FILE
              value: /run/secrets/tunebridge/transport.json
            - name: TUNEBRIDGE_BUS__REPLICAS
              value: {{ $root.Values.bus.replicas | quote }}
            - name: TUNEBRIDGE_{{ $section }}__OPS_HOST
              value: "0.0.0.0"
            - name: TUNEBRIDGE_{{ $section }}__OPS_PORT
              value: {{ $root.Values.opsPort | quote }}
            {{- if $svc.grpcPort }}
            - name: TUNEBRIDGE_{{ $section }}__GRPC_HOST
              value: "0.0.0.0"
            - name: TUNEBRIDGE_{{ $section }}__GRPC_PORT
              value: {{ $svc.grpcPort | quote }}
            {{- end }}
            {{- if eq .service "gateway" }}
            - name: TUNEBRIDGE_GATEWAY__HOST
              value: "0.0.0.0"
            - name: TUNEBRIDGE_GATEWAY__PORT
              value: {{ $svc.httpPort | quote }}
            - name: TUNEBRIDGE_GATEWAY__MATCHER_ADDRESS
              value: {{ printf "%s:%v" (include "tunebridge.serviceName" (dict "root" $root "name" "matcher")) $root.Values.services.matcher.grpcPort | quote }}
            - name: TUNEBRIDGE_GATEWAY__CATALOG_ADDRESS
              value: {{ printf "%s:%v" (include "tunebridge.serviceName" (dict "root" $root "name" "connectors")) $root.Values.services.connectors.grpcPort | quote }}
            - name: TUNEBRIDGE_GATEWAY__DOWNLOADER_ADDRESS
              value: {{ printf "%s:%v" (include "tunebridge.serviceName" (dict "root" $root "name" "downloader")) $root.Values.services.downloader.grpcPort | quote }}
            {{- end }}
            {{- if or (eq .service "gateway") (eq .service "connectors") }}
            # Folders a user may scan: the library mounted at /music, unless values say more.
            - name: TUNEBRIDGE_LIBRARY__ROOTS
              value: {{ $root.Values.library.roots | default "/music" | quote }}
            {{- end }}
            {{- if eq .service "downloader" }}
            - name: TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR
              value: /music
            - name: TUNEBRIDGE_DOWNLOADER__MATCHER_ADDRESS
              value: {{ printf "%s:%v" (include "tunebridge.serviceName" (dict "root" $root "name" "matcher")) $root.Values.services.matcher.grpcPort | quote }}
            {{- end }}
            {{- range $key, $value := .env }}
            - name: {{ $key }}
              value: {{ $value | quote }}
            {{- end }}
            {{- range $key, $value := $svc.env }}
            - name: {{ $key }}
              value: {{ $value | quote }}
            {{- end }}
          {{- if and $root.Values.secrets.existingSecret (has .service (list "gateway" "connectors")) }}
          envFrom:
            - secretRef:
                name: {{ $root.Values.secrets.existingSecret }}
          {{- end }}
          ports:
            - name: ops
              containerPort: {{ $root.Values.opsPort }}
            {{- if $svc.grpcPort }}
            - name: grpc
              containerPort: {{ $svc.grpcPort }}
            {{- end }}
            {{- if $svc.httpPort }}
            - name: http
              containerPort: {{ $svc.httpPort }}
            {{- end }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: ops
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /livez
              port: ops
            initialDelaySeconds: 10
            periodSeconds: 10
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: transport
              mountPath: /run/secrets/tunebridge
              readOnly: true
            {{- if or (eq .service "downloader") (eq .service "connectors") }}
            - name: library
              mountPath: /music
              readOnly: {{ eq .service "connectors" }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        # This service's own credentials, and no one else's.
        - name: transport
          secret:
            secretName: {{ required "transport.existingSecret is required (see values.yaml)" $root.Values.transport.existingSecret }}
            defaultMode: 0400
            items:
              - key: {{ .service }}.json
                path: transport.json
        {{- if or (eq .service "downloader") (eq .service "connectors") }}
        - name: library
          {{- if $root.Values.library.existingClaim }}
          persistentVolumeClaim:
            claimName: {{ $root.Values.library.existingClaim }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
{{- end -}}

{{- define "tunebridge.autoscaler" -}}
{{- $ctx := dict "root" .root "name" .name }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "tunebridge.serviceName" $ctx }}
  labels:
    {{- include "tunebridge.labels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "tunebridge.serviceName" $ctx }}
  minReplicas: {{ .svc.autoscaling.minReplicas }}
  maxReplicas: {{ .svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .svc.autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}


{{- define "tunebridge.disruptionBudget" -}}
{{- $ctx := dict "root" .root "name" .name }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "tunebridge.serviceName" $ctx }}
  labels:
    {{- include "tunebridge.labels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ .root.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "tunebridge.selectorLabels" $ctx | nindent 6 }}
{{- end -}}
