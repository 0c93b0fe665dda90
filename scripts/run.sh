#!/usr/bin/env bash
# TenderGuard's one entry point on a fresh Debian machine (as root, or with sudo):
#   bash scripts/run.sh demo    set up, then run the demo bid-opening queue
#   bash scripts/run.sh test    set up, then run ruff, mypy --strict and the whole test suite
#   bash scripts/run.sh setup   only set up
# Set-up is idempotent: it installs only the missing Debian packages and refreshes the project-local
# virtual environment (.venv) only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pango/HarfBuzz for WeasyPrint (with the fast font subsetter), CJK fonts, poppler for PDF checks in the tests.
SYSTEM_PACKAGES=(
  python3 python3-venv python3-pip
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
  fonts-noto-cjk fonts-wqy-microhei
  poppler-utils
)
PYTHON=${PYTHON:-python3}
VENV=.venv

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # A Python from elsewhere (pyenv, a build) may already be complete: then python3/venv packages are not needed.
  if "$PYTHON" -c 'import venv, ensurepip, sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    local keep=()
    for pkg in "${missing[@]}"; do
      case "$pkg" in python3|python3-venv|python3-pip) ;; *) keep+=("$pkg") ;; esac
    done
    missing=("${keep[@]}")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_python() {
  if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "error: TenderGuard needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
  fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  local stamp="$VENV/.tenderguard-stamp" want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing TenderGuard and its development tools into $VENV"
    local pip_log="$VENV/pip-install.log"
    if ! { "$VENV/bin/python" -m pip install -q --upgrade pip &&
           "$VENV/bin/python" -m pip install -q -e '.[dev]'; } >"$pip_log" 2>&1; then
      cat "$pip_log" >&2
      echo "error: installing the Python packages failed (log above, kept in $pip_log)" >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
}

setup() {
  install_system_packages
  setup_python
}

run_tests() {
  log "ruff check"
  "$VENV/bin/ruff" check .
  log "mypy --strict"
  "$VENV/bin/mypy"
  log "pytest"
  "$VENV/bin/python" -m pytest "$@"
}

case "${1:-}" in
  setup) setup ;;
  demo) setup; shift; "$VENV/bin/python" examples/bid_opening_day.py "$@" ;;
  test) setup; shift; run_tests "$@" ;;
  *) echo "usage: bash scripts/run.sh demo|test|setup" >&2; exit 2 ;;
esac
