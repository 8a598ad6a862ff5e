#!/usr/bin/env bash
# Set up and run the whole test suite, with every peer service it needs (PostgreSQL, ...) on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
GRENSELOS_WITH_BROWSER=${GRENSELOS_WITH_BROWSER:-1} GRENSELOS_WITH_SOLR=${GRENSELOS_WITH_SOLR:-1} \
  GRENSELOS_WITH_PROXY=${GRENSELOS_WITH_PROXY:-1} ./scripts/setup.sh
# shellcheck disable=SC1091
. scripts/services.sh
start_postgres
start_solr || echo "services: Solr not started: Solr search tests skip locally (and fail in CI)" >&2
trap stop_services EXIT
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
