#!/usr/bin/env bash
# Installs everything duckd needs to build and test on a fresh Debian 12 machine:
# Debian packages (only those missing, so a second run is fast) and the pinned npm artefacts
# (libduckdb.so and duckdb.h) into deps/node_modules. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql-15 provides pgbench (end-to-end tests) and the scratch server of bench/; chromium
# is the headless browser of the web console's test (driven by playwright-core from npm).
PKGS=(build-essential pkg-config clang libclang-rt-14-dev clang-format
      libssl-dev openssl libinih-dev libidn-dev libcmocka-dev libpq-dev
      postgresql-client postgresql-15
      python3 python3-pytest python3-psycopg2 python3-psycopg python3-asyncpg python3-pip
      python3-setuptools python3-venv
      python3-sqlalchemy python3-pandas python3-django python3-alembic python3-pg8000 python3-peewee libicu-dev
      default-jdk-headless libpostgresql-jdbc-java libmicrohttpd-dev libjansson-dev libsystemd-dev
      chromium)
[ "${DUCKD_BOOTSTRAP_EXTRA:-}" ] && PKGS+=(${DUCKD_BOOTSTRAP_EXTRA})
# Node.js and npm: any installation will do (the machine may carry its own, which conflicts
# with Debian's npm package); install Debian's only when the commands are missing.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# DuckDB: prebuilt libduckdb.so + duckdb.h, pinned by deps/package-lock.json.
if [ ! -f deps/node_modules/.duckd-stamp ] || [ deps/package-lock.json -nt deps/node_modules/.duckd-stamp ]; then
  echo "bootstrap: fetching pinned DuckDB from npm (deps/package-lock.json)"
  (cd deps && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch deps/node_modules/.duckd-stamp
fi
