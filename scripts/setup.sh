#!/usr/bin/env bash
# Set up everything geo_enroll needs on a fresh Debian machine, idempotently:
#   - Debian packages: chromium (browser tests, never a downloaded browser), a CJK font
#     (notices as PDF), gdal-bin (ogrinfo), poppler-utils (PDF checks), postgresql + postgis
#     (the PostGIS store's tests start a throwaway cluster);
#   - a virtual environment .venv with the project and its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need_apt+=(fonts-wqy-zenhei)
command -v ogrinfo >/dev/null 2>&1 || need_apt+=(gdal-bin)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
# PostgreSQL + PostGIS: the tests start a throwaway cluster on a local socket (tests/pg).
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need_apt+=(postgresql postgresql-postgis)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages: ${need_apt[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The stamp covers what the install builds: the metadata, the C accelerators' sources and the
# sources of the address parser's compiled twin (mypyc; a stale twin is not used, see
# geo_enroll/address/_twin.py, so an edit there means a rebuild to stay fast).
stamp=.venv/.installed-$(cat pyproject.toml setup.py $(find geo_enroll -name '_*_ext.c' | sort) \
  geo_enroll/address/{_twin,parse,divisions,normalize}.py | sha256sum | cut -c1-16)
if [ ! -e "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: ready (.venv)"
