#!/usr/bin/env bash
# The README's first quickstart command (`make demo`): kfaws doing its main job end to end on the local stack.
# It starts moto + MariaDB + the proxy with an EKS cluster seeded, and a real kube-apiserver with etcd set up as a
# cluster before Kubeflow (kfaws-localstack --kube), then runs
#   kfaws init -> plan -> up --manifests (AWS, then the CSI driver, KFP and Katib applied to the apiserver)
#   -> plan (nothing left to do) -> up again (changes nothing) -> verify -> down --dry-run -> down --delete-data
#   -> plan (everything to create again)
# on the synthetic Kubeflow v1.10 tree the tests use. verify logs in with the RDS secret's credentials and checks
# the database and the bucket; its cluster checks need running pods, which an apiserver without nodes has none
# of (make test covers them with controllers played by the tests). Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

hack/deps.sh
KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)"
export KUBEBUILDER_ASSETS
work=$(mktemp -d)
trap 'kill "${stack_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/kfaws" ./cmd/kfaws
go build -o "$work/kfaws-localstack" ./localstack/cmd/kfaws-localstack

"$work/kfaws-localstack" --cluster demo --region us-west-2 --rds-delay "${RDS_DELAY:-20s}" --kube \
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
say kfaws init --cluster demo --region us-west-2 --bucket demo-kfp-artifacts --csi-driver manifests --out kfaws.yaml
kfaws init --cluster demo --region us-west-2 --bucket demo-kfp-artifacts --csi-driver manifests --out kfaws.yaml
say kfaws plan --config kfaws.yaml
kfaws plan --config kfaws.yaml
# --wait=false: the apiserver has no nodes, so no pod would ever become ready.
say kfaws up --config kfaws.yaml --manifests "$tree" --wait=false
kfaws up --config kfaws.yaml --manifests "$tree" --wait=false >up-objects.txt
echo "($(wc -l <up-objects.txt) objects applied to the cluster; the list is in up-objects.txt)" >&2
say kfaws plan --config kfaws.yaml --detailed-exitcode
kfaws plan --config kfaws.yaml --detailed-exitcode
say kfaws up --config kfaws.yaml
kfaws up --config kfaws.yaml

say kfaws verify --config kfaws.yaml --only db,s3
kfaws verify --config kfaws.yaml --only db,s3

say kfaws down --config kfaws.yaml --dry-run --delete-data
kfaws down --config kfaws.yaml --dry-run --delete-data
say kfaws down --config kfaws.yaml --yes --delete-data
kfaws down --config kfaws.yaml --yes --delete-data >/dev/null
say kfaws plan --config kfaws.yaml --detailed-exitcode
code=0
kfaws plan --config kfaws.yaml --detailed-exitcode >/dev/null || code=$?
if [[ $code -ne 4 ]]; then
  echo "demo: after down, plan exited $code; it should have everything to create again (4)" >&2
  exit 1
fi
echo >&2
echo "demo finished: after down, plan has everything to create again (the final DB snapshot is kept)" >&2
