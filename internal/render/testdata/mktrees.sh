#!/usr/bin/env bash
# Writes the synthetic manifests trees under trees/: one per release users run, with the paths, kinds, names, keys,
# env names, image tags, securityContexts and kubeflow namespace labels of the real releases and far fewer fields.
# Checked against manifests@v1.7.0 (awslabs@v1.7.0-aws-b1.0.3), v1.8.1, v1.9.0, v1.9.1, v1.10.2, v1.11.0,
# release-26.03 and community-distribution@release-26.03.1.
# Run from this directory: ./mktrees.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -rf trees

# sc INDENT VALUE: a securityContext line at INDENT spaces, or nothing when VALUE is empty.
sc() { if [ -n "$2" ]; then printf '%*ssecurityContext: %s' "$1" '' "$2"; fi; }

# tree DIR PREFIX KFP KATIB STORE(minio|seaweedfs|both) MYSQLKEYS(0|1) REMOTE_ARGO(0|1) OVERLAYS(0|1)
tree() {
  local root=$1 prefix=$2 kfp=$3 katib=$4 store=$5 mysqlkeys=$6 remote=$7 overlays=$8
  local P="trees/$root/$prefix/pipeline/upstream" K="trees/$root/$prefix/katib/upstream"
  release_traits "$kfp"
  mkdir -p "$P"/base/installs/generic "$P"/base/pipeline "$P"/base/cache "$P"/base/metadata/base \
    "$P"/base/installs/multi-user/pipelines-profile-controller "$P"/third-party/mysql/base \
    "$P"/third-party/mysql/options/istio "$P"/third-party/argo/base "$P"/third-party/argo/installs/cluster \
    "$P"/third-party/metacontroller/base "$P"/env/platform-agnostic-multi-user \
    "$P"/env/cert-manager/platform-agnostic-multi-user

  # --- install config, secrets, vars
  local extra=""
  if [ "$mysqlkeys" = 1 ]; then extra=$'  dbType: mysql\n  mysqlHost: mysql\n  mysqlPort: "3306"'; fi
  cat > "$P"/base/installs/generic/pipeline-install-config.yaml <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: pipeline-install-config
data:
  appName: pipeline
  appVersion: $kfp
  dbHost: mysql
  dbPort: "3306"
$extra
  mlmdDb: metadb
  cacheDb: cachedb
  pipelineDb: mlpipeline
  bucketName: mlpipeline
  defaultPipelineRoot: ""
  ConMaxLifeTime: "120s"
EOF
  cat > "$P"/base/installs/generic/mysql-secret.yaml <<'EOF'
kind: Secret
apiVersion: v1
metadata:
  name: mysql-secret
stringData:
  username: root
  password: ""
EOF
  cat > "$P"/base/installs/generic/params.yaml <<'EOF'
varReference:
- path: data/defaultPipelineRoot
  kind: ConfigMap
EOF
  cat > "$P"/base/installs/generic/kustomization.yaml <<'EOF'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: kubeflow
resources:
- ../../pipeline
- ../../cache
- pipeline-install-config.yaml
- mysql-secret.yaml
vars:
- name: kfp-namespace
  objref: {apiVersion: apps/v1, kind: Deployment, name: ml-pipeline}
  fieldref: {fieldPath: metadata.namespace}
- name: kfp-artifact-bucket-name
  objref: {apiVersion: v1, kind: ConfigMap, name: pipeline-install-config}
  fieldref: {fieldPath: data.bucketName}
- name: kfp-default-pipeline-root
  objref: {apiVersion: v1, kind: ConfigMap, name: pipeline-install-config}
  fieldref: {fieldPath: data.defaultPipelineRoot}
configurations:
- params.yaml
EOF

  # --- KFP workloads
  local osenv=""
  case $store in
    both) osenv=$'        - name: OBJECTSTORECONFIG_HOST\n          value: "minio-service.kubeflow"\n        - name: OBJECTSTORECONFIG_PORT\n          value: "9000"' ;;
    seaweedfs) osenv=$'        - name: OBJECTSTORECONFIG_HOST\n          value: "seaweedfs.kubeflow"\n        - name: OBJECTSTORECONFIG_PORT\n          value: "9000"' ;;
  esac
  local mysqlenv=""
  if [ "$mysqlkeys" = 1 ]; then
    mysqlenv=$'        - name: DBCONFIG_MYSQLCONFIG_HOST\n          valueFrom:\n            configMapKeyRef: {name: pipeline-install-config, key: mysqlHost}\n        - name: DBCONFIG_MYSQLCONFIG_PORT\n          valueFrom:\n            configMapKeyRef: {name: pipeline-install-config, key: mysqlPort}\n        - name: DBCONFIG_MYSQLCONFIG_USER\n          valueFrom:\n            secretKeyRef: {name: mysql-secret, key: username}\n        - name: DBCONFIG_MYSQLCONFIG_PASSWORD\n          valueFrom:\n            secretKeyRef: {name: mysql-secret, key: password}'
  fi
  cat > "$P"/base/pipeline/ml-pipeline-apiserver-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ml-pipeline
  labels: {app: ml-pipeline}
spec:
  selector:
    matchLabels: {app: ml-pipeline}
  template:
    metadata:
      labels: {app: ml-pipeline}
    spec:
      serviceAccountName: ml-pipeline
$(sc 6 "$KFP_POD_SC")
      containers:
      - name: ml-pipeline-api-server
        image: ${KFP_IMAGES}api-server:$kfp
$(sc 8 "$KFP_CONTAINER_SC")
        env:
        - name: OBJECTSTORECONFIG_SECURE
          value: "false"
        - name: OBJECTSTORECONFIG_BUCKETNAME
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: bucketName}
$osenv
        - name: DBCONFIG_USER
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: username}
        - name: DBCONFIG_PASSWORD
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: password}
        - name: DBCONFIG_DBNAME
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: pipelineDb}
        - name: DBCONFIG_HOST
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbHost}
        - name: DBCONFIG_PORT
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbPort}
$mysqlenv
        - name: OBJECTSTORECONFIG_ACCESSKEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: accesskey}
        - name: OBJECTSTORECONFIG_SECRETACCESSKEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: secretkey}
EOF
  cat > "$P"/base/pipeline/ml-pipeline-ui-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ml-pipeline-ui
  labels: {app: ml-pipeline-ui}
spec:
  selector:
    matchLabels: {app: ml-pipeline-ui}
  template:
    metadata:
      labels: {app: ml-pipeline-ui}
    spec:
      serviceAccountName: ml-pipeline-ui
$(sc 6 "$KFP_POD_SC")
      containers:
      - name: ml-pipeline-ui
        image: ${KFP_IMAGES}frontend:$kfp
$(sc 8 "$KFP_CONTAINER_SC")
        env:
        - name: MINIO_NAMESPACE
          valueFrom:
            fieldRef: {fieldPath: metadata.namespace}
        - name: MINIO_ACCESS_KEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: accesskey}
        - name: MINIO_SECRET_KEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: secretkey}
$UI_ARCHIVE_LOGS
EOF
  for sa in ml-pipeline ml-pipeline-ui; do
    printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n' $sa > "$P/base/pipeline/$sa-sa.yaml"
  done
  cat > "$P"/base/pipeline/kfp-launcher-configmap.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: kfp-launcher
data:
  defaultPipelineRoot: $(kfp-default-pipeline-root)
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ml-pipeline-apiserver-deployment.yaml\n- ml-pipeline-sa.yaml\n- ml-pipeline-ui-deployment.yaml\n- ml-pipeline-ui-sa.yaml\n- kfp-launcher-configmap.yaml\n' > "$P"/base/pipeline/kustomization.yaml
  cat > "$P"/base/cache/cache-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache-server
  labels: {app: cache-server}
spec:
  selector:
    matchLabels: {app: cache-server}
  template:
    metadata:
      labels: {app: cache-server}
    spec:
      serviceAccountName: kubeflow-pipelines-cache
$(sc 6 "$KFP_POD_SC")
      containers:
      - name: server
        image: ${KFP_IMAGES}cache-server:$kfp
$(sc 8 "$KFP_CONTAINER_SC")
        env:
        - name: DBCONFIG_DB_NAME
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: cacheDb}
        - name: DBCONFIG_HOST_NAME
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbHost}
        - name: DBCONFIG_PORT
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbPort}
        - name: DBCONFIG_USER
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: username}
        - name: DBCONFIG_PASSWORD
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: password}
        args: ["--db_driver=mysql", "--db_host=\$(DBCONFIG_HOST_NAME)", "--db_port=\$(DBCONFIG_PORT)",
               "--db_name=\$(DBCONFIG_DB_NAME)", "--db_user=\$(DBCONFIG_USER)", "--db_password=\$(DBCONFIG_PASSWORD)"]
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- cache-deployment.yaml\n' > "$P"/base/cache/kustomization.yaml
  cat > "$P"/base/metadata/base/metadata-grpc-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metadata-grpc-deployment
  labels: {component: metadata-grpc-server}
spec:
  selector:
    matchLabels: {component: metadata-grpc-server}
  template:
    metadata:
      labels: {component: metadata-grpc-server}
    spec:
      serviceAccountName: metadata-grpc-server
$(sc 6 "$KFP_POD_SC")
      containers:
      - name: container
        image: gcr.io/tfx-oss-public/ml_metadata_store_server:$MLMD_TAG
$(sc 8 "$MLMD_CONTAINER_SC")
        env:
        - name: DBCONFIG_USER
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: username}
        - name: DBCONFIG_PASSWORD
          valueFrom:
            secretKeyRef: {name: mysql-secret, key: password}
        - name: MYSQL_DATABASE
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: mlmdDb}
        - name: MYSQL_HOST
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbHost}
        - name: MYSQL_PORT
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: dbPort}
        args: ["--grpc_port=8080", "--mysql_config_database=\$(MYSQL_DATABASE)", "--mysql_config_host=\$(MYSQL_HOST)",
               "--mysql_config_port=\$(MYSQL_PORT)", "--mysql_config_user=\$(DBCONFIG_USER)",
               "--mysql_config_password=\$(DBCONFIG_PASSWORD)", "--enable_database_upgrade=true"]
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- metadata-grpc-deployment.yaml\n' > "$P"/base/metadata/base/kustomization.yaml

  # --- multi-user install and the profile controller. Up to v1.9 (KFP before 2.5) a CompositeController on
  # metacontroller v2.0.4 with python:3.7; from v1.10 a DecoratorController on v4.11.22, with python:3.12 (v1.10)
  # or alpine/k8s (v1.11 on). Deployment env as the release's (names and keys only).
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- ../generic\n- pipelines-profile-controller\n' > "$P"/base/installs/multi-user/kustomization.yaml
  local PC="$P"/base/installs/multi-user/pipelines-profile-controller
  local pckind pcfile pcimage mcimage pclabels pcsec="" pcenv
  case $kfp in
    2.0.*|2.2.*|2.3.*)
      pckind=CompositeController pcfile=composite-controller.yaml pcimage=python:3.7
      mcimage=docker.io/metacontrollerio/metacontroller:v2.0.4
      pclabels=$'commonLabels:\n  app: kubeflow-pipelines-profile-controller' ;;
    *)
      pckind=DecoratorController pcfile=decorator-controller.yaml pcimage=docker.io/alpine/k8s:1.32.3
      mcimage=ghcr.io/metacontroller/metacontroller:v4.11.22
      pclabels=$'labels:\n- includeSelectors: true\n  pairs:\n    app: kubeflow-pipelines-profile-controller'
      pcsec=$'        securityContext:\n          allowPrivilegeEscalation: false\n          runAsNonRoot: true\n          runAsUser: 1000\n          capabilities: {drop: [ALL]}\n          seccompProfile: {type: RuntimeDefault}'
      case $kfp in 2.5.*) pcimage=public.ecr.aws/docker/library/python:3.12 ;; esac ;;
  esac
  printf '# stands in for the release'"'"'s sync.py\n' > "$PC"/sync.py
  printf 'DISABLE_ISTIO_SIDECAR=false\n' > "$PC"/params.env
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- service.yaml\n- deployment.yaml\n- %s\nconfigMapGenerator:\n- name: kubeflow-pipelines-profile-controller-code\n  files:\n  - sync.py\n- name: kubeflow-pipelines-profile-controller-env\n  envs:\n  - params.env\n%s\n' "$pcfile" "$pclabels" > "$PC"/kustomization.yaml
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: kubeflow-pipelines-profile-controller\nspec:\n  ports:\n  - {name: http, port: 80, protocol: TCP, targetPort: 8080}\n' > "$PC"/service.yaml
  local pcroot=$'        - name: KFP_DEFAULT_PIPELINE_ROOT\n          valueFrom:\n            configMapKeyRef: {name: pipeline-install-config, key: defaultPipelineRoot, optional: true}'
  if [ "$store" = minio ]; then
    pcenv=$pcroot$'\n        - name: MINIO_ACCESS_KEY\n          valueFrom:\n            secretKeyRef: {name: mlpipeline-minio-artifact, key: accesskey}\n        - name: MINIO_SECRET_KEY\n          valueFrom:\n            secretKeyRef: {name: mlpipeline-minio-artifact, key: secretkey}'
  else
    pcenv=$'        - name: AWS_ENDPOINT_URL\n          value: http://seaweedfs.kubeflow:8111\n        - name: S3_ENDPOINT_URL\n          value: http://seaweedfs.kubeflow:8333\n        - name: AWS_REGION\n          value: us-east-1\n        - name: AWS_ACCESS_KEY_ID\n          valueFrom:\n            secretKeyRef: {name: mlpipeline-minio-artifact, key: accesskey}\n        - name: AWS_SECRET_ACCESS_KEY\n          valueFrom:\n            secretKeyRef: {name: mlpipeline-minio-artifact, key: secretkey}\n'$pcroot$'\n        - name: ARTIFACTS_PROXY_ENABLED\n          valueFrom:\n            configMapKeyRef: {name: pipeline-install-config, key: ARTIFACTS_PROXY_ENABLED, optional: true}'
    [ "$store" = seaweedfs ] && pcenv=$pcenv$'\n        - name: OBJECT_STORE_HOST\n          value: seaweedfs'
  fi
  cat > "$PC"/deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kubeflow-pipelines-profile-controller
spec:
  replicas: 1
  template:
    metadata:
      labels: {sidecar.istio.io/inject: "false"}
    spec:
      containers:
      - name: profile-controller
$pcsec
        image: $pcimage
        command: ["python", "/hooks/sync.py"]
        envFrom:
        - configMapRef: {name: kubeflow-pipelines-profile-controller-env}
        env:
        - name: KFP_VERSION
          valueFrom:
            configMapKeyRef: {name: pipeline-install-config, key: appVersion}
$pcenv
        volumeMounts:
        - {name: hooks, mountPath: /hooks}
        ports:
        - containerPort: 8080
      volumes:
      - name: hooks
        configMap:
          name: kubeflow-pipelines-profile-controller-code
EOF
  local pcspec
  if [ "$pckind" = CompositeController ]; then
    pcspec=$'  generateSelector: true\n  parentResource:\n    apiVersion: v1\n    resource: namespaces\n  childResources:'
  else
    pcspec=$'  resources:\n  - apiVersion: v1\n    resource: namespaces\n    labelSelector:\n      matchLabels:\n        pipelines.kubeflow.org/enabled: "true"\n  attachments:'
  fi
  cat > "$PC/$pcfile" <<EOF
apiVersion: metacontroller.k8s.io/v1alpha1
kind: $pckind
metadata:
  name: kubeflow-pipelines-profile-controller
spec:
  resyncPeriodSeconds: 3600
$pcspec
  - {apiVersion: v1, resource: secrets, updateStrategy: {method: OnDelete}}
  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: OnDelete}}
  - {apiVersion: apps/v1, resource: deployments, updateStrategy: {method: InPlace}}
  - {apiVersion: v1, resource: services, updateStrategy: {method: InPlace}}
  - {apiVersion: networking.istio.io/v1alpha3, resource: destinationrules, updateStrategy: {method: InPlace}}
  - {apiVersion: security.istio.io/v1beta1, resource: authorizationpolicies, updateStrategy: {method: InPlace}}
  hooks:
    sync:
      webhook:
        url: http://kubeflow-pipelines-profile-controller/sync
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- metacontroller-sa.yaml\n- stateful-set.yaml\n' > "$P"/third-party/metacontroller/base/kustomization.yaml
  printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: meta-controller-service\n  namespace: kubeflow\n' > "$P"/third-party/metacontroller/base/metacontroller-sa.yaml
  printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: metacontroller\n  namespace: kubeflow\n  labels: {app: metacontroller}\nspec:\n  replicas: 1\n  serviceName: ""\n  selector:\n    matchLabels: {app: metacontroller}\n  template:\n    metadata:\n      labels: {app: metacontroller}\n    spec:\n      serviceAccountName: meta-controller-service\n      containers:\n      - name: metacontroller\n        image: %s\n%s' "$mcimage" "$(sc 8 "$MC_CONTAINER_SC")" > "$P"/third-party/metacontroller/base/stateful-set.yaml

  # --- in-cluster MySQL
  local M="$P"/third-party/mysql
  cat > "$M"/base/mysql-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mysql
  labels: {app: mysql}
spec:
  selector:
    matchLabels: {app: mysql}
  strategy: {type: Recreate}
  template:
    metadata:
      labels: {app: mysql}
    spec:
      serviceAccountName: mysql
$(sc 6 "$MYSQL_POD_SC")
      containers:
      - name: mysql
        image: $MYSQL_IMAGE
$(sc 8 "$MYSQL_CONTAINER_SC")
        env:
        - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "true"}
        volumeMounts:
        - {name: mysql-persistent-storage, mountPath: /var/lib/mysql}
      volumes:
      - name: mysql-persistent-storage
        persistentVolumeClaim: {claimName: mysql-pv-claim}
EOF
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\nspec:\n  ports:\n  - port: 3306\n  selector:\n    app: mysql\n' > "$M"/base/mysql-service.yaml
  printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: mysql-pv-claim\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 20Gi\n' > "$M"/base/mysql-pv-claim.yaml
  printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: mysql\n' > "$M"/base/mysql-serviceaccount.yaml
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- mysql-deployment.yaml\n- mysql-pv-claim.yaml\n- mysql-service.yaml\n- mysql-serviceaccount.yaml\n' > "$M"/base/kustomization.yaml
  istio "$M"/options/istio mysql ml-pipeline-mysql mysql.kubeflow.svc.cluster.local

  # --- object store
  local stores=""
  case $store in
    minio) stores="- ../../third-party/minio/base
- ../../third-party/minio/options/istio"; minio "$P" ;;
    both|seaweedfs) stores="- ../../third-party/seaweedfs/istio"; seaweedfs "$P" "$store" ;;
  esac

  # --- Argo: the workflow-controller ConfigMap with the release's repository
  local endpoint='minio-service.$(kfp-namespace):9000' kf='artifacts/{{workflow.name}}/{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}'
  [ "$store" = seaweedfs ] && endpoint='seaweedfs.$(kfp-namespace):9000'
  [ "$store" != minio ] && kf='private-artifacts/{{workflow.namespace}}/{{workflow.name}}/{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}'
  cat > "$P"/third-party/argo/base/workflow-controller-configmap-patch.yaml <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  artifactRepository: |
    archiveLogs: true
    s3:
      endpoint: "$endpoint"
      bucket: "\$(kfp-artifact-bucket-name)"
      keyFormat: "$kf"
      insecure: true
      accessKeySecret:
        name: mlpipeline-minio-artifact
        key: accesskey
      secretKeySecret:
        name: mlpipeline-minio-artifact
        key: secretkey
EOF
  printf 'varReference:\n- path: data/artifactRepository\n  kind: ConfigMap\n' > "$P"/third-party/argo/base/params.yaml
  if [ "$remote" = 1 ]; then
    cat > "$P"/third-party/argo/base/workflow-controller-deployment-patch.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: workflow-controller
spec:
  template:
    spec:
$(sc 6 "$ARGO_POD_SC")
      containers:
      - name: workflow-controller
        image: quay.io/argoproj/workflow-controller:v3.7.3
$(sc 8 "$ARGO_CONTAINER_SC")
EOF
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- https://github.com/argoproj/argo-workflows/manifests/base/workflow-controller?ref=v3.7.3\npatches:\n- path: workflow-controller-deployment-patch.yaml\n- path: workflow-controller-configmap-patch.yaml\nconfigurations:\n- params.yaml\n' > "$P"/third-party/argo/base/kustomization.yaml
  else
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- workflow-controller-configmap-patch.yaml\nconfigurations:\n- params.yaml\n' > "$P"/third-party/argo/base/kustomization.yaml
  fi
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- ../../base\n' > "$P"/third-party/argo/installs/cluster/kustomization.yaml

  # --- entry points
  cat > "$P"/env/platform-agnostic-multi-user/kustomization.yaml <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: kubeflow
resources:
- ../../third-party/metacontroller/base
- ../../base/installs/multi-user
- ../../base/metadata/base
- ../../third-party/argo/installs/cluster
- ../../third-party/mysql/base
- ../../third-party/mysql/options/istio
$stores
EOF
  if [ -n "$PC_POD_SC$PC_CONTAINER_SC" ]; then
    # The real releases carry these fields in the controller's own deployment.yaml; a patch here keeps this script's
    # profile-controller section independent of the Pod Security levels.
    cat > "$P"/env/platform-agnostic-multi-user/profile-controller-security-context.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kubeflow-pipelines-profile-controller
spec:
  template:
    spec:
$(sc 6 "$PC_POD_SC")
      containers:
      - name: profile-controller
$(sc 8 "$PC_CONTAINER_SC")
EOF
    printf 'patches:\n- path: profile-controller-security-context.yaml\n' >> "$P"/env/platform-agnostic-multi-user/kustomization.yaml
  fi
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- ../../platform-agnostic-multi-user\n' > "$P"/env/cert-manager/platform-agnostic-multi-user/kustomization.yaml
  if [ "$overlays" = 1 ]; then
    mkdir -p "trees/$root/$prefix/pipeline/overlays"
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../upstream/env/cert-manager/platform-agnostic-multi-user\n' > "trees/$root/$prefix/pipeline/overlays/kustomization.yaml"
  fi
  katib "$K" "$katib"
  kubeflow_namespace "trees/$root/$(dirname "$prefix")/common/kubeflow-namespace/base"
}

# release_traits KFP: what differs between releases besides tree's arguments, by the KFP version the release pins:
# image names (gcr.io and docker.io up to v1.9, ghcr.io from v1.10), the in-cluster MySQL images, the MLMD image,
# and the securityContexts and namespace label that set the Pod Security level (none up to v1.9; baseline on the
# namespace with KFP's own workloads restricted-ready in v1.10; restricted from v1.11).
release_traits() {
  KFP_IMAGES=ghcr.io/kubeflow/kfp- KATIB_IMAGES=ghcr.io/kubeflow/katib MLMD_TAG=1.14.0
  MYSQL_IMAGE=mysql:8.4 KATIB_MYSQL_IMAGE=mysql:8.0 PSA=restricted NS_LAYOUT=folders
  UI_ARCHIVE_LOGS=$'        - name: ARGO_ARCHIVE_LOGS\n          value: "true"'
  local drop='allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}' seccomp='seccompProfile: {type: RuntimeDefault}'
  KFP_POD_SC="{$seccomp}" KFP_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000}"
  MLMD_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000, $seccomp}"
  MYSQL_POD_SC="{fsGroup: 999, fsGroupChangePolicy: OnRootMismatch, $seccomp}"
  MYSQL_CONTAINER_SC="{$drop, runAsGroup: 999, runAsNonRoot: true, runAsUser: 999}"
  MINIO_POD_SC="{fsGroup: 1000, fsGroupChangePolicy: OnRootMismatch, $seccomp}"
  MINIO_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000, $seccomp}"
  SEAWEEDFS_POD_SC="{fsGroup: 1000, fsGroupChangePolicy: OnRootMismatch, $seccomp}"
  SEAWEEDFS_CONTAINER_SC="{$drop, privileged: false, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000}"
  PC_POD_SC="{$seccomp}" PC_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000}"
  MC_CONTAINER_SC="{$drop, $seccomp, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000}"
  ARGO_POD_SC="{$seccomp}"
  ARGO_CONTAINER_SC="{readOnlyRootFilesystem: true, runAsNonRoot: true, $drop}"
  KATIB_CONTAINER_SC="{$drop, runAsNonRoot: true, runAsUser: 1000, $seccomp}"
  KATIB_MYSQL_POD_SC="{fsGroup: 999, fsGroupChangePolicy: OnRootMismatch}"
  KATIB_MYSQL_CONTAINER_SC="{$drop, runAsGroup: 999, runAsNonRoot: true, runAsUser: 999, $seccomp}"
  case $1 in
    2.0.*|2.2.*|2.3.*)
      KFP_IMAGES=gcr.io/ml-pipeline/ KATIB_IMAGES=docker.io/kubeflowkatib UI_ARCHIVE_LOGS=""
      [ "$1" = 2.0.0-alpha.7 ] && MLMD_TAG=1.5.0
      ;;
  esac
  case $1 in
    2.0.*|2.2.*|2.3.*|2.5.*)
      MYSQL_IMAGE=gcr.io/ml-pipeline/mysql:8.0.26 KATIB_MYSQL_IMAGE=mysql:8.0.29
      KATIB_CONTAINER_SC="" KATIB_MYSQL_POD_SC="" KATIB_MYSQL_CONTAINER_SC="" MC_CONTAINER_SC="" PSA=baseline NS_LAYOUT=flat
      ;;
  esac
  case $1 in
    2.0.*|2.2.*|2.3.*)
      KFP_POD_SC="" KFP_CONTAINER_SC="" MLMD_CONTAINER_SC="" MYSQL_POD_SC="" MYSQL_CONTAINER_SC="" MINIO_POD_SC="" MINIO_CONTAINER_SC=""
      PC_POD_SC="" PC_CONTAINER_SC="" PSA=""
      ;;
    2.5.*) PC_POD_SC="" PC_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000, $seccomp}" ;;
    2.15.*) NS_LAYOUT=both ;;
    *) # 26.03 on: runAsNonRoot on every pod and a seccomp profile on every container
      KFP_POD_SC="{runAsNonRoot: true, $seccomp}" KFP_CONTAINER_SC="{$drop, runAsGroup: 0, runAsNonRoot: true, runAsUser: 1000, $seccomp}"
      MYSQL_POD_SC="{fsGroup: 999, fsGroupChangePolicy: OnRootMismatch, runAsNonRoot: true, $seccomp}"
      MYSQL_CONTAINER_SC="{$drop, runAsGroup: 999, runAsNonRoot: true, runAsUser: 999, $seccomp}"
      SEAWEEDFS_POD_SC="{fsGroup: 1000, fsGroupChangePolicy: OnRootMismatch, runAsNonRoot: true, $seccomp}"
      SEAWEEDFS_CONTAINER_SC="{$drop, privileged: false, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000, $seccomp}"
      PC_POD_SC="$KFP_POD_SC" PC_CONTAINER_SC="$KFP_CONTAINER_SC"
      ARGO_POD_SC="{runAsNonRoot: true, $seccomp}"
      ARGO_CONTAINER_SC="{readOnlyRootFilesystem: true, runAsNonRoot: true, $drop, $seccomp}"
      ;;
  esac
}

# kubeflow_namespace DIR: common/kubeflow-namespace/base with the kubeflow Namespace and its labels: one
# namespace.yaml up to v1.11 (v1.11 adds kubeflow-system to it), kubeflow/ and kubeflow-system/ folders with the
# namespaces' NetworkPolicies from 26.03.
kubeflow_namespace() {
  local D=$1 labels=$'    control-plane: kubeflow\n    istio-injection: enabled'
  [ -n "$PSA" ] && labels="$labels"$'\n    pod-security.kubernetes.io/enforce: '"$PSA"
  mkdir -p "$D"
  case $NS_LAYOUT in
    flat|both)
      printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n  labels:\n%s\n' "$labels" > "$D"/namespace.yaml
      if [ "$NS_LAYOUT" = both ]; then
        printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow-system\n  labels:\n%s\n' "$labels" >> "$D"/namespace.yaml
      fi
      printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- namespace.yaml\n' > "$D"/kustomization.yaml
      ;;
    folders)
      mkdir -p "$D"/kubeflow "$D"/kubeflow-system
      printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- kubeflow\n- kubeflow-system\n' > "$D"/kustomization.yaml
      printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n  labels:\n%s\n' "$labels" > "$D"/kubeflow/namespace.yaml
      printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow-system\n  labels:\n%s\n' "$labels" > "$D"/kubeflow-system/namespace.yaml
      printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-allow-same-namespace\n  namespace: kubeflow\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n  policyTypes: [Ingress]\n' > "$D"/kubeflow/default-allow-same-namespace.yaml
      printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ml-pipeline\n  namespace: kubeflow\nspec:\n  podSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [ml-pipeline]}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: app.kubernetes.io/part-of, operator: In, values: [kubeflow-profile]}\n    - namespaceSelector:\n        matchExpressions:\n        - {key: kubernetes.io/metadata.name, operator: In, values: [istio-system]}\n  policyTypes: [Ingress]\n' > "$D"/kubeflow/ml-pipeline.yaml
      printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: katib-db-manager\n  namespace: kubeflow\nspec:\n  podSelector:\n    matchExpressions:\n    - {key: katib.kubeflow.org/component, operator: In, values: [db-manager]}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: app.kubernetes.io/part-of, operator: In, values: [kubeflow-profile]}\n    - podSelector: {}\n  policyTypes: [Ingress]\n' > "$D"/kubeflow/katib-db-manager.yaml
      printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- namespace.yaml\n- default-allow-same-namespace.yaml\n- katib-db-manager.yaml\n- ml-pipeline.yaml\n' > "$D"/kubeflow/kustomization.yaml
      printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- namespace.yaml\n' > "$D"/kubeflow-system/kustomization.yaml
      ;;
  esac
}

# readme DIR REPO: the top-level README's repository reference, which names the family.
readme() {
  printf '# Kubeflow manifests (synthetic test tree)\n\nhttps://github.com/%s\n' "$2" > "$1"/README.md
}

# istio DIR AUTHZ_NAME DR_NAME HOST
istio() {
  mkdir -p "$1"
  cat > "$1"/istio-authorization-policy.yaml <<EOF
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: $2
spec:
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/kubeflow/sa/ml-pipeline]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: $3
spec:
  host: $4
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- istio-authorization-policy.yaml\n' > "$1"/kustomization.yaml
}

minio_secret() {
  printf 'kind: Secret\napiVersion: v1\nmetadata:\n  name: mlpipeline-minio-artifact\nstringData:\n  accesskey: minio\n  secretkey: minio123\n' > "$1"/mlpipeline-minio-artifact-secret.yaml
}

minio() {
  local D="$1"/third-party/minio/base
  mkdir -p "$D"
  cat > "$D"/minio-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: minio
  labels: {app: minio}
spec:
  selector:
    matchLabels: {app: minio}
  template:
    metadata:
      labels: {app: minio}
    spec:
$(sc 6 "$MINIO_POD_SC")
      containers:
      - name: minio
        image: gcr.io/ml-pipeline/minio:RELEASE.2019-08-14T20-37-41Z-license-compliance
        args: [server, /data]
$(sc 8 "$MINIO_CONTAINER_SC")
        env:
        - name: MINIO_ACCESS_KEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: accesskey}
        - name: MINIO_SECRET_KEY
          valueFrom:
            secretKeyRef: {name: mlpipeline-minio-artifact, key: secretkey}
        volumeMounts:
        - {name: data, mountPath: /data, subPath: minio}
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: minio-pvc}
EOF
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: minio-service\nspec:\n  ports:\n  - name: http\n    port: 9000\n  selector:\n    app: minio\n' > "$D"/minio-service.yaml
  printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: minio-pvc\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 20Gi\n' > "$D"/minio-pvc.yaml
  minio_secret "$D"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- minio-deployment.yaml\n- minio-pvc.yaml\n- minio-service.yaml\n- mlpipeline-minio-artifact-secret.yaml\n' > "$D"/kustomization.yaml
  istio "$1"/third-party/minio/options/istio minio-service ml-pipeline-minio minio-service.kubeflow.svc.cluster.local
}

# seaweedfs PIPELINE_DIR STORE(both|seaweedfs): "both" (v1.11) also ships the minio-service compatibility Service.
seaweedfs() {
  local D="$1"/third-party/seaweedfs/base/seaweedfs
  mkdir -p "$D"
  cat > "$D"/seaweedfs-deployment.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: seaweedfs
  labels: {app: seaweedfs}
spec:
  selector:
    matchLabels: {app: seaweedfs}
  template:
    metadata:
      labels: {app: seaweedfs}
    spec:
      serviceAccountName: seaweedfs
$(sc 6 "$SEAWEEDFS_POD_SC")
      containers:
      - name: seaweedfs
        image: chrislusf/seaweedfs:4.00
        args: [server, -dir=/data, -s3, -iam, -filer, -master.volumePreallocate=false]
$(sc 8 "$SEAWEEDFS_CONTAINER_SC")
        envFrom:
        - secretRef: {name: mlpipeline-minio-artifact}
        volumeMounts:
        - {name: data, mountPath: /data}
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: seaweedfs-pvc}
EOF
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: seaweedfs\nspec:\n  ports:\n  - {name: http-s3, port: 8333}\n  - {name: http-s3-compat, port: 9000, targetPort: 8333}\n  selector:\n    app: seaweedfs\n' > "$D"/seaweedfs-service.yaml
  printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: seaweedfs-pvc\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 20Gi\n' > "$D"/seaweedfs-pvc.yaml
  printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: seaweedfs\n' > "$D"/seaweedfs-service-account.yaml
  printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: seaweedfs\nspec:\n  podSelector:\n    matchLabels:\n      app: seaweedfs\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: 8333\n' > "$D"/seaweedfs-networkpolicy.yaml
  minio_secret "$D"
  local files="- seaweedfs-deployment.yaml
- seaweedfs-pvc.yaml
- seaweedfs-networkpolicy.yaml
- seaweedfs-service.yaml
- seaweedfs-service-account.yaml
- mlpipeline-minio-artifact-secret.yaml"
  if [ "$2" = both ]; then
    printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: minio-service\n  labels:\n    app: seaweedfs\n    component: minio-compatibility\nspec:\n  ports:\n  - {name: http, port: 9000, targetPort: 8333}\n  selector:\n    app: seaweedfs\n' > "$D"/minio-service.yaml
    files="$files
- minio-service.yaml"
  fi
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n%s\n' "$files" > "$D"/kustomization.yaml
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- seaweedfs/\n' > "$1"/third-party/seaweedfs/base/kustomization.yaml
  istio "$1"/third-party/seaweedfs/istio seaweedfs-service ml-pipeline-seaweedfs seaweedfs.kubeflow.svc.cluster.local
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- ../base/\n- istio-authorization-policy.yaml\n' > "$1"/third-party/seaweedfs/istio/kustomization.yaml
}

# katib DIR TAG
katib() {
  local K=$1
  mkdir -p "$K"/installs/katib-with-kubeflow "$K"/installs/katib-cert-manager "$K"/components/db-manager "$K"/components/mysql
  cat > "$K"/installs/katib-with-kubeflow/kustomization.yaml <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: kubeflow
resources:
- ../katib-cert-manager
- istio-authorizationpolicy.yaml
images:
- name: $KATIB_IMAGES/katib-controller
  newName: $KATIB_IMAGES/katib-controller
  newTag: $2
- name: $KATIB_IMAGES/katib-db-manager
  newName: $KATIB_IMAGES/katib-db-manager
  newTag: $2
EOF
  printf 'apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata:\n  name: katib-ui\nspec:\n  action: ALLOW\n' > "$K"/installs/katib-with-kubeflow/istio-authorizationpolicy.yaml
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nresources:\n- ../../components/db-manager/\n- ../../components/mysql/\n' > "$K"/installs/katib-cert-manager/kustomization.yaml
  cat > "$K"/components/db-manager/db-manager.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: katib-db-manager
  labels: {katib.kubeflow.org/component: db-manager}
spec:
  selector:
    matchLabels: {katib.kubeflow.org/component: db-manager}
  template:
    metadata:
      labels: {katib.kubeflow.org/component: db-manager}
      annotations: {sidecar.istio.io/inject: "false"}
    spec:
      containers:
      - name: katib-db-manager
        image: $KATIB_IMAGES/katib-db-manager
$(sc 8 "$KATIB_CONTAINER_SC")
        env:
        - {name: DB_NAME, value: mysql}
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: {name: katib-mysql-secrets, key: MYSQL_ROOT_PASSWORD}
EOF
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- db-manager.yaml\n' > "$K"/components/db-manager/kustomization.yaml
  cat > "$K"/components/mysql/mysql.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: katib-mysql
  labels: {katib.kubeflow.org/component: mysql}
spec:
  selector:
    matchLabels: {katib.kubeflow.org/component: mysql}
  template:
    metadata:
      labels: {katib.kubeflow.org/component: mysql}
    spec:
$(sc 6 "$KATIB_MYSQL_POD_SC")
      containers:
      - name: katib-mysql
        image: $KATIB_MYSQL_IMAGE
$(sc 8 "$KATIB_MYSQL_CONTAINER_SC")
        env:
        - name: MYSQL_ROOT_PASSWORD
          valueFrom:
            secretKeyRef: {name: katib-mysql-secrets, key: MYSQL_ROOT_PASSWORD}
        - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "true"}
        - {name: MYSQL_DATABASE, value: katib}
      volumes:
      - name: katib-mysql
        persistentVolumeClaim: {claimName: katib-mysql}
EOF
  printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: katib-mysql\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 10Gi\n' > "$K"/components/mysql/pvc.yaml
  printf 'apiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata:\n  name: katib-mysql-secrets\ndata:\n  MYSQL_ROOT_PASSWORD: dGVzdA==\n' > "$K"/components/mysql/secret.yaml
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: katib-mysql\nspec:\n  ports:\n  - {name: dbapi, port: 3306}\n  selector:\n    katib.kubeflow.org/component: mysql\n' > "$K"/components/mysql/service.yaml
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- mysql.yaml\n- pvc.yaml\n- secret.yaml\n- service.yaml\n' > "$K"/components/mysql/kustomization.yaml
}

#    dir      prefix         KFP            Katib    store     mysqlkeys remote overlays
tree v1.7-aws upstream/apps  2.0.0-alpha.7  v0.15.0  minio     0 0 0
# The awslabs fork installs KFP through its own base: the upstream env plus its API server image.
mkdir -p trees/v1.7-aws/awsconfigs/apps/pipeline/base
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\nbases:\n- ../../../../upstream/apps/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user\nimages:\n- name: gcr.io/ml-pipeline/api-server\n  newName: public.ecr.aws/kubeflow-on-aws/ml-pipeline/api-server\n  newTag: 2.0.0-alpha.7\n' > trees/v1.7-aws/awsconfigs/apps/pipeline/base/kustomization.yaml
tree v1.8     apps           2.0.5          v0.16.0  minio     1 0 0
tree v1.9     apps           2.2.0          v0.17.0  minio     1 0 0
tree v1.9.1   apps           2.3.0          v0.17.0  minio     1 0 0
tree v1.10    applications   2.5.0          v0.18.0  minio     1 0 0
tree v1.11    applications   2.15.0         v0.19.0  both      1 1 0
tree 26.03    applications   2.16.0         v0.19.0  seaweedfs 1 1 1
tree 26.03.1  applications   2.16.1         v0.19.0  seaweedfs 1 1 1

# The README names the repository. community-distribution@release-26.03.1 still names kubeflow/manifests (it
# predates the rename); its application folders are what tell it apart.
readme trees/v1.7-aws awslabs/kubeflow-manifests
readme trees/v1.7-aws/upstream kubeflow/manifests
for t in v1.8 v1.9 v1.9.1 v1.10 v1.11 26.03 26.03.1; do readme trees/$t kubeflow/manifests; done
for d in dashboard hub notebooks-v1 workspaces; do
  mkdir -p trees/26.03.1/applications/$d
  printf '# stands in for the release'"'"'s applications/%s\n' $d > trees/26.03.1/applications/$d/README.md
done
