#!/usr/bin/env bash
# Prepare a fresh machine (Debian, Python >= 3.11) for this checkout: a virtual
# environment in .venv with the library and its extras, and redis-server for the
# Redis tests. Safe to run again: it only does what is missing, and it never stops
# or reconfigures a service it did not start (the tests start their own servers).
# The library is installed editable, with its core compiled by mypyc where a C
# compiler is present when PEPPERPY_BUILD=auto or compiled (=pure never compiles; unset,
# pyproject.toml's default-build applies; see buildtools/hatch_build.py). The compiled
# modules are rebuilt when their sources change.
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
build="$("$python" buildtools/compiled_sources.py --build)"
export PEPPERPY_BUILD="$build"
# What the installed build depends on: the project's settings and build hook, the
# build asked for, and (unless pure) the sources it compiles.
fingerprint="$(
    {
        cat pyproject.toml buildtools/*.py
        echo "$build"
        if [ "$build" != "pure" ]; then
            "$python" buildtools/compiled_sources.py | while read -r source; do cat "$source"; done
        fi
    } | sha256sum | cut -c1-16
)"
if [ "$build" = "compiled" ]; then
    # Asked for explicitly, the compiled build needs a C compiler and Python's headers.
    command -v "${CC:-cc}" >/dev/null 2>&1 || apt_install gcc libc6-dev
    "$python" -c 'import pathlib, sys, sysconfig
sys.exit(not (pathlib.Path(sysconfig.get_paths()["include"]) / "Python.h").is_file())' \
        || apt_install python3-dev
fi
stamp=".venv/.installed-$extras-$fingerprint"
if [ ! -f "$stamp" ]; then
    rm -f .venv/.installed-*
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$extras]"
    touch "$stamp"
fi
.venv/bin/python -c 'import pepperpy.caching.core as core
print("setup: the", "compiled" if core.COMPILED else "pure", "build is installed")' >&2

if [ "$profile" = "dev" ] && ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server redis-tools || echo "setup: redis-server missing: Redis tests will skip" >&2
fi
