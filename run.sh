#!/usr/bin/env bash
# Install (the first time) and start hostbridge: ./run.sh [bridge serve options]
#
#   ./run.sh                         SQLite in ./instance, http://127.0.0.1:8080
#   ./run.sh --host 0.0.0.0 --port 9000 --workers 4
#   BRIDGE_DATABASE_URL='mysql+pymysql://...' ./run.sh
#
# Steps: create .venv if missing, install the project into it (again only when pyproject.toml
# changed), `bridge init` (create/upgrade the schema, idempotent), `bridge demo` once per
# instance (marker file <instance>/.demo-loaded), then `exec bridge serve "$@"` (gunicorn).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON="${PYTHON:-python3}"
VENV=.venv
BRIDGE="$VENV/bin/bridge"

if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "run.sh: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
# either stamp means the project is installed (make test's one includes the test extras)
stamp="$VENV/.installed"
[ -f "$VENV/.installed-test" ] && [ ! -f "$stamp" ] && stamp="$VENV/.installed-test"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ ! -x "$BRIDGE" ]; then
  echo "run.sh: installing hostbridge into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e .
  touch "$VENV/.installed"
fi

"$BRIDGE" init

# The instance folder is ./instance unless BRIDGE_INSTANCE_PATH says otherwise (an
# instance_path set only in the BRIDGE_CONFIG file is not seen here).
instance="${BRIDGE_INSTANCE_PATH:-instance}"
marker="$instance/.demo-loaded"
if [ ! -e "$marker" ]; then
  if "$BRIDGE" demo --help >/dev/null 2>&1; then
    if ! "$BRIDGE" demo; then
      echo "run.sh: 'bridge demo' failed (see above); fix it, or 'touch $marker' to skip it" >&2
      exit 1
    fi
    mkdir -p "$instance"
    touch "$marker"
  else
    echo "run.sh: this version has no 'bridge demo' command; starting without demo data"
  fi
fi

exec "$BRIDGE" serve "$@"
