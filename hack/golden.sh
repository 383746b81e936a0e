#!/usr/bin/env bash
# Regenerates every golden file in the repository (`make golden`), running only the tests that write them.
#
# A package has goldens when one of its _test.go files declares the -update flag (flag.Bool("update", ...));
# its golden-producing tests are the Test functions that call its golden(...) helper. Golden files are the
# files named *.golden and everything under a testdata/golden/ directory of those packages.
#
# Usage: hack/golden.sh            # rewrite the goldens
#        hack/golden.sh --check    # rewrite them, then fail (and name the files) if that changed any file, or
#                                  # left a golden file git does not track; hack/test.sh runs this after the tests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "golden.sh: $*" >&2; }

check=false
case "${1:-}" in
--check) check=true ;;
"") ;;
*)
  echo "usage: hack/golden.sh [--check]" >&2
  exit 2
  ;;
esac

# The plan goldens run on the local AWS stack (moto, MariaDB).
hack/deps.sh

# Packages (as directories) that have golden files.
mapfile -t dirs < <(grep -rl --include='*_test.go' 'flag.Bool("update"' cmd internal localstack bench 2>/dev/null |
  xargs -r -n1 dirname | sort -u)
if ((${#dirs[@]} == 0)); then
  log "no package declares -update; nothing to regenerate"
  exit 0
fi

# goldenTests prints a -run pattern matching the Test functions of a package that call golden(...), or nothing
# when a golden call sits in a helper (then every test of the package runs, which is slower but complete).
goldenTests() {
  awk '
    /^func / {
      fn = ""
      if (match($0, /^func Test[A-Za-z0-9_]*\(/)) fn = substr($0, 6, RLENGTH - 6)
      else if ($0 ~ /^func golden\(/) { defining = 1; next }
      else fn = "-"
      defining = 0
    }
    defining { next }
    /(^|[^A-Za-z0-9_.])golden\(/ {
      if (fn == "-") helper = 1
      else if (fn != "" && !(fn in seen)) { seen[fn] = 1; names = names (names ? "|" : "") fn }
    }
    END { if (!helper && names) print "^(" names ")$" }
  ' "$1"/*_test.go
}

# goldenFiles lists the golden files of the packages, one per line, sorted.
goldenFiles() {
  for d in "${dirs[@]}"; do
    [[ -d "$d/testdata" ]] || continue
    find "$d/testdata" -type f \( -name '*.golden' -o -path '*/testdata/golden/*' \)
  done | LC_ALL=C sort
}

sums() { goldenFiles | xargs -r sha256sum; }

before=""
if $check; then before="$(sums)"; fi
marker="$(mktemp)"
trap 'rm -f "$marker"' EXIT

for d in "${dirs[@]}"; do
  run="$(goldenTests "$d")"
  log "go test ./$d -update${run:+ -run '$run'}"
  go test -count=1 ${run:+-run "$run"} "./$d" -update
done

# A golden file no test wrote is stale (its test was renamed or removed), unless its test skipped.
while IFS= read -r f; do
  [[ "$f" -nt "$marker" ]] || log "warning: no test rewrote $f; delete it if nothing reads it"
done < <(goldenFiles)

$check || exit 0

status=0
after="$(sums)"
if [[ "$before" != "$after" ]]; then
  log "regenerating the goldens changed them; run make golden, review the diff and commit it:"
  { diff <(echo "$before") <(echo "$after") || true; } | sed -n 's/^[<>] [0-9a-f]*  /  /p' | sort -u >&2
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git --no-pager diff -- "${dirs[@]/%//testdata}" | head -n 200 >&2 || true
  fi
  status=1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t untracked < <(git ls-files --others --exclude-standard -- "${dirs[@]/%//testdata}" |
    grep -E '(\.golden$|/testdata/golden/)' || true)
  if ((${#untracked[@]} > 0)); then
    log "golden files git does not track (git add them):"
    printf '  %s\n' "${untracked[@]}" >&2
    status=1
  fi
fi
exit "$status"
