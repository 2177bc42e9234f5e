#!/usr/bin/env bash
# Set up gridhub on a Debian/Ubuntu machine, then run what was asked. Idempotent.
#
#   scripts/setup.sh          install system packages, start PostgreSQL, create .venv
#   scripts/setup.sh demo     ... then run `gridhub demo` (http://127.0.0.1:8000)
#   scripts/setup.sh test     ... then run the test suite (extra arguments go to pytest)
#
# Environment: PYTHON (default python3, >= 3.11), GRIDHUB_SKIP_APT=1 to skip apt-get,
# GRIDHUB_TEST_WORKERS (pytest-xdist processes, default 4),
# GRIDHUB_TEST_POSTGRES (an admin URL for the test databases; found or made when unset).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
PG_TEST_PASSWORD="gridhub-test"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else say "need root (or sudo) for: $*"; return 1
    fi
}

install_packages() {
    [ "${GRIDHUB_SKIP_APT:-0}" = 1 ] && return 0
    command -v apt-get >/dev/null || { say "no apt-get: install scripts/apt-packages.txt yourself"; return 0; }
    local wanted=() missing=() available=() pkg
    mapfile -t wanted < <(grep -v '^\s*\(#\|$\)' scripts/apt-packages.txt | sort -u)
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    for pkg in "${missing[@]}"; do  # skip what this release lacks (Ubuntu: chromium is a snap)
        if apt-cache show "$pkg" >/dev/null 2>&1; then available+=("$pkg")
        else say "not in this release's archive, skipped: $pkg"
        fi
    done
    [ "${#available[@]}" -eq 0 ] && return 0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${available[@]}"
}

start_postgres() {
    command -v pg_lsclusters >/dev/null || return 0
    if pg_isready -q -h 127.0.0.1 -p 5432; then return 0; fi
    local version name
    if [ -z "$(pg_lsclusters -h)" ] && [ -d /usr/lib/postgresql ]; then
        version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
        say "creating PostgreSQL cluster $version/main"
        as_root pg_createcluster "$version" main
    fi
    while read -r version name _; do
        say "starting PostgreSQL $version/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
    done < <(pg_lsclusters -h)
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    say "PostgreSQL is not answering on 127.0.0.1:5432"
}

# The tests create throwaway databases as the postgres superuser over TCP. Debian asks for a
# password there, so give postgres a test password unless it already gets in without one.
postgres_test_url() {
    [ -n "${GRIDHUB_TEST_POSTGRES:-}" ] && return 0
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || return 0
    if psql -w -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    if PGPASSWORD="$PG_TEST_PASSWORD" psql -w -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' \
        >/dev/null 2>&1 || as_root runuser -u postgres -- psql -q -c \
        "ALTER USER postgres PASSWORD '$PG_TEST_PASSWORD'" >/dev/null; then
        export GRIDHUB_TEST_POSTGRES="postgresql://postgres:$PG_TEST_PASSWORD@127.0.0.1:5432/postgres"
    fi
}

make_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV with $($PYTHON --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.gridhub-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing gridhub with its test extra into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e '.[test]'
        touch "$stamp"
    fi
    # The grid index's compiled loops, compiled once here (or loaded from numba's cache)
    # rather than by the hub's first start, while its first check-ins wait.
    "$VENV/bin/python" -m gridhub.geo.index
}

setup() {
    install_packages
    start_postgres
    make_venv
}

case "${1:-setup}" in
    setup) setup ;;
    demo) shift; setup; exec "$VENV/bin/gridhub" demo "$@" ;;
    test)
        shift; setup; postgres_test_url
        # The tests mostly wait on real services: four workers share two cores well.
        exec "$VENV/bin/python" -m pytest -n "${GRIDHUB_TEST_WORKERS:-4}" "$@" ;;
    *) echo "usage: $0 [setup|demo|test [PYTEST ARGS]]" >&2; exit 2 ;;
esac
