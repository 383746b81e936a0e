#!/usr/bin/env bash
# The README's first quickstart command (`make demo`): kfaws doing its main job end to end on the local stack.
# It starts moto + MariaDB + the proxy with an EKS cluster seeded, and a real kube-apiserver with etcd set up as a
# cluster before Kubeflow (kfaws-localstack --kube), then runs
#   kfaws init -> plan -> up --manifests (AWS, then the CSI driver, KFP and Katib applied to the apiserver)
#   -> plan (nothing left to do) -> up again (changes nothing) -> verify -> down --dry-run -> down --delete-data
#   -> plan (everything to create again)
# with three profile namespaces in the cluster, each given S3 access to its own artifacts only.
# on the synthetic Kubeflow v1.10 tree the tests use. verify logs in with the RDS secret's credentials and checks
# the database and the bucket; its cluster checks need running pods, which an apiserver without nodes has none
# of (make test covers them with controllers played by the tests). Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# step WHY CMD...: says what is about to happen and why a user runs it, shows the command, runs it.
step() {
  local why=$1
  shift
  printf '\n# %s\n\033[1m$ %s\033[0m\n' "$why" "$*" >&2
  "$@"
}
# show WHY CMD: the same for a command the script runs itself (to redirect its output).
show() { printf '\n# %s\n\033[1m$ %s\033[0m\n' "$1" "$2" >&2; }

hack/deps.sh
KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)"
export KUBEBUILDER_ASSETS
work=$(mktemp -d)
trap 'kill "${stack_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/kfaws" ./cmd/kfaws
go build -o "$work/kfaws-localstack" ./localstack/cmd/kfaws-localstack

"$work/kfaws-localstack" --cluster demo --region us-west-2 --rds-delay "${RDS_DELAY:-20s}" --kube \
  --profile kubeflow-user-example-com,team-a,team-b \
  --env-file "$work/env.sh" >"$work/localstack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 120); do
  [[ -s "$work/env.sh" ]] && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$work/localstack.log" >&2; exit 1; }
  sleep 0.5
done
# shellcheck disable=SC1091
source "$work/env.sh"
echo "local stack: AWS at $AWS_ENDPOINT_URL (moto behind the proxy), MariaDB at $KFAWS_LOCALSTACK_MYSQL_ADDR, cluster at $KUBECONFIG" >&2
tree="$PWD/internal/render/testdata/trees/v1.10"

cd "$work"
export PATH="$work:$PATH"
cat >&2 <<'INTRO'

kfaws runs Kubeflow Pipelines and Katib on EKS with their data in RDS for MySQL and S3, instead of the
in-cluster MySQL and MinIO. This demo goes through an installation's whole life on this machine: the AWS APIs
are moto behind kfaws's proxy (RDS endpoints lead to a real MariaDB), the cluster is a real kube-apiserver.
INTRO
step "Write kfaws.yaml: every setting of the reference setup, defaults filled in; review it before anything runs." \
  kfaws init --cluster demo --region us-west-2 --bucket demo-kfp-artifacts --csi-driver manifests --out kfaws.yaml
step "See what kfaws would create, reuse or refuse in AWS, and in which order. Nothing changes. The cluster has
# three profiles (kubeflow-user-example-com, team-a, team-b): each gets an IAM role of its own that reaches only
# its own artifacts, private-artifacts/NAMESPACE/." \
  kfaws plan --config kfaws.yaml
show "Create the bucket, database, secret and IAM roles in parallel, then render a Kubeflow tree (the synthetic v1.10
# tree the tests use) for RDS and S3 and apply it with the Secrets Store CSI driver. --wait=false: this apiserver
# has no nodes, so workloads are applied, not started." "kfaws up --config kfaws.yaml --manifests $tree --wait=false"
kfaws up --config kfaws.yaml --manifests "$tree" --wait=false >up-objects.txt
echo "($(wc -l <up-objects.txt) objects applied to the cluster, listed in up-objects.txt)" >&2
step "Plan again: everything is in place, so --detailed-exitcode gives 0 (4 would mean changes pending)." \
  kfaws plan --config kfaws.yaml --detailed-exitcode
step "Run up again, as after an interruption: it resumes where it stopped; with nothing left, it changes nothing." \
  kfaws up --config kfaws.yaml
step "Check the result: log in with the RDS secret's credentials, then the bucket and the IAM roles' permissions,
# each profile's evaluated for its own prefix and against another's.
# Rows not yet initialised fill once KFP and Katib have started; the cluster checks need running pods, so they
# are left out here." \
  kfaws verify --config kfaws.yaml --only db,s3
step "Before tearing down, see what would go and what stays. Nothing changes." \
  kfaws down --config kfaws.yaml --dry-run --delete-data
show "Tear down: the cluster objects first, then what kfaws created in AWS; the DB instance leaves a final snapshot." \
  "kfaws down --config kfaws.yaml --yes --delete-data"
kfaws down --config kfaws.yaml --yes --delete-data >/dev/null
show "After down, plan shows the installation to build again (exit 4: changes pending)." \
  "kfaws plan --config kfaws.yaml --detailed-exitcode"
code=0
kfaws plan --config kfaws.yaml --detailed-exitcode >/dev/null || code=$?
if [[ $code -ne 4 ]]; then
  echo "demo: after down, plan exited $code; it should have everything to create again (4)" >&2
  exit 1
fi
echo >&2
echo "demo finished: kfaws planned, created and wired an installation, resumed with nothing to do, verified it and" >&2
echo "tore it down, keeping only the final DB snapshot (kfaws up --from-snapshot NAME would restore it); the local" >&2
echo "stack and cluster stop now." >&2
