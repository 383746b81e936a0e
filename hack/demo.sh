#!/usr/bin/env bash
# The README's first quickstart command (`make demo`): kfaws doing its main job end to end on the local stack.
# It starts moto + MariaDB + the proxy with an EKS cluster seeded (kfaws-localstack), then runs
#   kfaws init -> plan -> up -> plan (nothing left to do) -> up again (changes nothing) -> verify
# where verify logs in with the RDS secret's credentials and checks the database and the bucket. The cluster half
# (render, apply) is exercised by make test on a real kube-apiserver. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

hack/deps.sh
work=$(mktemp -d)
trap 'kill "${stack_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/kfaws" ./cmd/kfaws
go build -o "$work/kfaws-localstack" ./localstack/cmd/kfaws-localstack

"$work/kfaws-localstack" --cluster demo --region us-west-2 --rds-delay "${RDS_DELAY:-20s}" \
  --env-file "$work/env.sh" >"$work/localstack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 120); do
  [[ -s "$work/env.sh" ]] && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$work/localstack.log" >&2; exit 1; }
  sleep 0.5
done
# shellcheck disable=SC1091
source "$work/env.sh"
echo "local stack: AWS at $AWS_ENDPOINT_URL (moto behind the proxy), MariaDB at $KFAWS_LOCALSTACK_MYSQL_ADDR" >&2

cd "$work"
export PATH="$work:$PATH"
say kfaws init --cluster demo --region us-west-2 --bucket demo-kfp-artifacts --out kfaws.yaml
kfaws init --cluster demo --region us-west-2 --bucket demo-kfp-artifacts --out kfaws.yaml
say kfaws plan --config kfaws.yaml
kfaws plan --config kfaws.yaml
say kfaws up --config kfaws.yaml
kfaws up --config kfaws.yaml
say kfaws plan --config kfaws.yaml --detailed-exitcode
kfaws plan --config kfaws.yaml --detailed-exitcode
say kfaws up --config kfaws.yaml
kfaws up --config kfaws.yaml

say kfaws verify --config kfaws.yaml --only db,s3
kfaws verify --config kfaws.yaml --only db,s3

echo >&2
echo "demo finished: state file was $work/.kfaws/demo.state.json" >&2
