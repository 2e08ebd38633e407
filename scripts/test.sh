#!/usr/bin/env bash
# The whole suite: lint, every test on SQLite, every database test again on MariaDB when
# reachable, the mini-program's jest tests when Node is there. Says loudly what it skipped.
set -uo pipefail
BIN="${TEST_VENV:-.venv}/bin"
status=0
ran=()
skipped=()
skiplog="$(mktemp)"
trap 'rm -f "$skiplog"' EXIT

# pytest with every skip reason listed (-rs); the reasons are gathered for the summary
run_pytest() {
  local pass="$1"; shift
  local out
  out="$(mktemp)"
  "$BIN/python" -m pytest -q -p no:cacheprovider -rs "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  sed -n 's/^SKIPPED \[\([0-9]*\)\] [^ ]*: \(.*\)$/\2\t\1/p' "$out" | sed "s/^/$pass\t/" >> "$skiplog"
  rm -f "$out"
  return "$rc"
}

echo "== lint (ruff, import contracts, mypy)"
"$BIN/ruff" check app tests bench tools || status=1
"$BIN/lint-imports" --no-cache || status=1
"$BIN/mypy" || status=1

echo "== tests on SQLite"
FAWU_TEST_DB=sqlite run_pytest SQLite || status=1
ran+=("SQLite")

if "$BIN/python" - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 3306)) == 0 else 1)
PY
then
  echo "== database tests on MariaDB"
  FAWU_TEST_DB=mariadb run_pytest MariaDB -m db || status=1
  ran+=("MariaDB")
else
  skipped+=("MariaDB (127.0.0.1:3306 not reachable: database tests ran on SQLite only)")
fi

if [ -f miniprogram/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== mini-program tests (jest)"
    (cd miniprogram && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; } && npx jest --ci) || status=1
    ran+=("jest")
  else
    skipped+=("mini-program jest tests (npm not installed)")
  fi
fi

echo
echo "================ fawu test summary ================"
echo "backends and suites that ran: ${ran[*]}"
if [ ${#skipped[@]} -gt 0 ]; then
  for s in "${skipped[@]}"; do echo "!! SKIPPED: $s"; done
fi
# every test pytest skipped, by pass and reason ("needs <what>: <why> (<how>)", tests/needs.py)
if [ -s "$skiplog" ]; then
  awk -F'\t' '{n[$1"\t"$2]+=$3} END {for (k in n) {split(k, a, "\t"); printf "!! SKIPPED in the %s pass: %d test(s): %s\n", a[1], n[k], a[2]}}' "$skiplog" | sort
else
  echo "no test skipped"
fi
[ $status -eq 0 ] && echo "result: all suites passed" || echo "result: FAILURES (see above)"
exit $status
