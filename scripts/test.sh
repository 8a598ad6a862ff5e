#!/usr/bin/env bash
# Set up and run the whole test suite, with every peer service it needs (PostgreSQL, ...) on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# shellcheck disable=SC1091
. scripts/services.sh
start_postgres
trap stop_services EXIT
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
