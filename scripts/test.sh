#!/usr/bin/env bash
# Set up (see setup.sh) and run the whole test suite; arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
exec .venv/bin/python -m pytest "$@"
