#!/usr/bin/env bash
# The README's first quickstart command (`make demo`): kfaws doing its main job end to end on the local stack.
# It starts moto + MariaDB + the proxy with an EKS cluster seeded (kfaws-localstack), then runs
#   kfaws init -> plan -> up -> plan (nothing left to do) -> up again (changes nothing)
# and shows that the RDS secret's credentials log in to the database. Nothing leaves this machine.
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

say "log in with the credentials kfaws stored in Secrets Manager (rds-secret)"
python3 - <<'PY'
import json, os, subprocess, boto3
sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
v = json.loads(sm.get_secret_value(SecretId="rds-secret")["SecretString"])
print(f"rds-secret: user={v['username']} host={v['host']} port={v['port']} database={v['database']} password=<{len(v['password'])} chars>")
out = subprocess.run(["mariadb", "-h", v["host"], "-P", v["port"], "-u", v["username"], f"-p{v['password']}",
                      v["database"], "-N", "-e", "SELECT CONCAT('connected to ', DATABASE(), ' as ', CURRENT_USER())"],
                     capture_output=True, text=True, check=True)
print(out.stdout.strip())
PY
echo >&2
echo "demo finished: state file was $work/.kfaws/demo.state.json" >&2
