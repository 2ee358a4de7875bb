#!/usr/bin/env bash
# Prepare a fresh machine (Debian, Python >= 3.11) for this checkout: a virtual
# environment in .venv with the library and its extras, and redis-server for the
# Redis tests. Safe to run again: it only does what is missing.
# Usage: scripts/setup.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-dev}"
python="${PYTHON:-python3}"

apt_install() {
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "setup: please install the Debian packages: $*" >&2
        return 1
    fi
}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: Python >= 3.11 is required, $("$python" --version 2>&1) found" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv 2>/dev/null || { apt_install python3-venv && "$python" -m venv .venv; }
fi

extras="all"
[ "$profile" = "dev" ] && extras="dev"
stamp=".venv/.installed-$extras-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$extras]"
    touch "$stamp"
fi

if [ "$profile" = "dev" ] && ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server redis-tools || echo "setup: redis-server missing: Redis tests will skip" >&2
    # The packaged service is not wanted: the tests start their own servers.
    if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
fi
