#!/usr/bin/env bash
# Install everything Grenseløs needs on a fresh Debian machine, from the project's own files.
# Safe to run again: each step checks first and does nothing when its work is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
# Debian's python3 comes without venv/ensurepip; `python3 -m venv` needs python3-venv.
[ -d .venv ] || python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
  || need_apt+=(postgresql)
if [ "${GRENSELOS_WITH_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ "${GRENSELOS_WITH_BROWSER:-0}" = 1 ] && ! command -v npm >/dev/null; then need_apt+=(npm); fi
# Solr runs on Java, and so does the Nu HTML Checker of the browser tests; Maven fetches both from Maven Central.
if [ "${GRENSELOS_WITH_SOLR:-0}" = 1 ] || [ "${GRENSELOS_WITH_BROWSER:-0}" = 1 ]; then
  command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || need_apt+=(maven)
fi
# The slow-client tests run the shipped reverse proxy (deploy/nginx/) with a throwaway TLS certificate.
if [ "${GRENSELOS_WITH_PROXY:-0}" = 1 ]; then
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
  command -v openssl >/dev/null || need_apt+=(openssl)
  command -v systemd-analyze >/dev/null || need_apt+=(systemd)     # test_deploy verifies the shipped unit
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.grenselos-installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  echo "setup: installing Python packages (setup.cfg)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/python -m pip install -q -e '.[test]' >.venv/pip.log 2>&1; then
    cat .venv/pip.log >&2; exit 1
  fi
  touch "$stamp"
fi

# Browser tests: axe-core from npm into a project-local folder (package-lock.json pins the version).
if [ "${GRENSELOS_WITH_BROWSER:-0}" = 1 ] && [ ! -f tests/browser/node/node_modules/axe-core/axe.min.js ]; then
  echo "setup: installing axe-core (npm) for the browser tests"
  npm ci --prefix tests/browser/node --no-audit --no-fund --loglevel=error >/dev/null
fi
# Browser tests: the W3C Nu HTML Checker's jars from Maven Central into tests/browser/nu/lib.
if [ "${GRENSELOS_WITH_BROWSER:-0}" = 1 ]; then
  # shellcheck disable=SC1091
  . scripts/services.sh
  build_nu_checker
fi
