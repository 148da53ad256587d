#!/usr/bin/env bash
# Sets up a fresh machine: a virtualenv in .venv with geoservice installed (editable).
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   + test tools: Python test extras, Debian gdal-bin, chromium,
#                             postgresql-15-postgis-3 and nginx (the tests start their own
#                             servers, as an unprivileged user, on free ports)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ "$want_test" = 1 ]; then
  missing=()
  command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
  command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
  # PostgreSQL 15 + PostGIS 3: the tests start their own server (tests/postgres.py)
  [ -x /usr/lib/postgresql/15/bin/pg_ctl ] \
    && [ -f /usr/share/postgresql/15/extension/postgis.control ] \
    || missing+=(postgresql-15-postgis-3)
  # nginx in front of two replicas (tests/deploy): run by the tests, never as a system service
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "setup: installation des paquets Debian : ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      "${missing[@]}" fonts-dejavu-core >/dev/null
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$want_test
# an install with the test extras also satisfies the runtime
[ "$want_test" = 0 ] && [ .venv/.installed-1 -nt pyproject.toml ] && stamp=.venv/.installed-1
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # pip's and setuptools' own output (English notices, boxes) goes to a log, shown on failure
  echo "setup : installation de l'environnement Python dans .venv (journal : .venv/pip.log)…" >&2
  log=.venv/pip.log
  extra=""
  [ "$want_test" = 1 ] && extra="[test]"
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".$extra"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup : l'installation a échoué (voir ci-dessus ou $log)" >&2
    exit 1
  fi
  .venv/bin/python -c "import geoservice, geopandas, fastapi"
  touch "$stamp"
fi
