#!/usr/bin/env bash
# Create bench/.venv-pygeoapi with pygeoapi (the peer of bench_items.py), isolated from .venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-pygeoapi"
if ! "$venv/bin/python" -c "import pygeoapi, starlette, uvicorn" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q pygeoapi uvicorn starlette
fi
"$venv/bin/python" -c "import pygeoapi, sys; print('pygeoapi', pygeoapi.__version__, file=sys.stderr)"
