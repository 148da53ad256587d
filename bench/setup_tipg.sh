#!/usr/bin/env bash
# Create bench/.venv-tipg with tipg (the PostGIS peer of bench_postgis.py), isolated from .venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-tipg"
if ! "$venv/bin/python" -c "import tipg, uvicorn" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q tipg uvicorn
fi
"$venv/bin/python" -c "import tipg, sys; print('tipg', tipg.__version__, file=sys.stderr)"
