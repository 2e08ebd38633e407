#!/usr/bin/env bash
# The whole suite: lint, every test on SQLite, every database test again on MariaDB when
# reachable, the mini-program's jest tests when Node is there. Says loudly what it skipped.
set -uo pipefail
BIN="${TEST_VENV:-.venv}/bin"
status=0
ran=()
skipped=()

echo "== lint (ruff, import contracts, mypy)"
"$BIN/ruff" check app tests bench tools || status=1
"$BIN/lint-imports" --no-cache || status=1
"$BIN/mypy" || status=1

echo "== tests on SQLite"
FAWU_TEST_DB=sqlite "$BIN/python" -m pytest -q -p no:cacheprovider || status=1
ran+=("SQLite")

if "$BIN/python" - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 3306)) == 0 else 1)
PY
then
  echo "== database tests on MariaDB"
  FAWU_TEST_DB=mariadb "$BIN/python" -m pytest -q -p no:cacheprovider -m db || status=1
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
command -v chromium >/dev/null 2>&1 || skipped+=("browser tests (chromium not installed)")
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || "$BIN/python" -c "import socket,sys;s=socket.socket();s.settimeout(1);sys.exit(s.connect_ex(('127.0.0.1',6379)))" 2>/dev/null || skipped+=("Redis tests (127.0.0.1:6379 not reachable)")
if [ ${#skipped[@]} -gt 0 ]; then
  for s in "${skipped[@]}"; do echo "!! SKIPPED: $s"; done
fi
[ $status -eq 0 ] && echo "result: all suites passed" || echo "result: FAILURES (see above)"
exit $status
