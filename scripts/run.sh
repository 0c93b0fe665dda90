#!/usr/bin/env bash
# TenderGuard's one entry point on a fresh Debian machine (as root, or with sudo):
#   bash scripts/run.sh demo    set up, then run the demo bid-opening queue
#   bash scripts/run.sh serve   set up, then run the web gate on a demo day of today (HOST, PORT to change)
#   bash scripts/run.sh test    set up, then run ruff, mypy --strict and the whole test suite
#   bash scripts/run.sh setup   only set up
# Set-up is idempotent: it installs only the missing Debian packages and refreshes the project-local
# virtual environment (.venv) only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pango/HarfBuzz for WeasyPrint (with the fast font subsetter), CJK fonts, poppler for PDF checks in the tests,
# Debian's Chromium for the web gate's browser tests (Playwright drives it; no browser is downloaded).
SYSTEM_PACKAGES=(
  python3 python3-venv python3-pip
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
  fonts-noto-cjk fonts-wqy-microhei
  poppler-utils
  chromium
)
VENV=.venv

# The interpreter: $PYTHON when set; otherwise Debian's own python3 when it is 3.11 or newer (Debian's optimised
# build, with libpython linked into the executable, screens 10-20 % faster than a default source or pyenv build of
# the same version: benchmarks/README.md); otherwise the first python3 on PATH.
pick_python() {
  if [ -n "${PYTHON:-}" ]; then
    printf '%s\n' "$PYTHON"
  elif /usr/bin/python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    printf '%s\n' /usr/bin/python3
  else
    printf '%s\n' python3
  fi
}
PYTHON_CHOICE=$(pick_python)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # A Python from elsewhere (pyenv, a build) may already be complete: then python3/venv packages are not needed.
  if "$PYTHON_CHOICE" -c 'import venv, ensurepip, sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
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

# The real file behind an interpreter, or behind the interpreter a virtual environment was made from.
base_interpreter() {
  "$1" -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))' 2>/dev/null
}

setup_python() {
  local python
  python=$(pick_python)  # again: the Debian packages may have just installed python3
  if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "error: TenderGuard needs Python 3.11 or newer ($python is $("$python" -V 2>&1))" >&2
    exit 1
  fi
  if [ -x "$VENV/bin/python" ] && [ "$(base_interpreter "$VENV/bin/python")" != "$(base_interpreter "$python")" ]; then
    log "recreating $VENV with $python"
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV with $python"; "$python" -m venv "$VENV"; }
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
  log "pytest: the tests, on every core"
  "$VENV/bin/python" -m pytest "$@"
  log "pytest: the long tests (stress, crash, kill, the README's shell tour), one at a time"
  "$VENV/bin/python" -m pytest -m slow -n 0 "$@"
}

# The web gate on a demo day of today's date: the sample sessions moved to today, an account for each role.
serve_demo() {
  local folder=demo-output/web today tg="$VENV/bin/tenderguard"
  mkdir -p "$folder"
  today=$(TZ=Asia/Shanghai date +%F)
  sed "s/2026-11-23/$today/g" tenderguard/sample/sessions-2026-11-23.csv > "$folder/sessions-$today.csv"
  "$tg" keys init --dir "$folder/keys" >/dev/null
  "$tg" import "$folder/sessions-$today.csv" --db "$folder/gate.db" >/dev/null 2>&1 || true  # already imported
  log "demo accounts (name / password):"
  local role
  for role in desk door supervisor office admin; do
    printf 'demo-%s-password\n' "$role" |
      "$tg" operator add "demo-$role" --role "$role" --password-stdin --db "$folder/gate.db" >/dev/null 2>&1 || true
    printf '    %-16s demo-%s-password\n' "demo-$role" "$role" >&2
  done
  log "open http://${HOST:-127.0.0.1}:${PORT:-8000}/ (Ctrl-C stops the server)"
  exec "$tg" serve --db "$folder/gate.db" --keys "$folder/keys" --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" "$@"
}

case "${1:-}" in
  setup) setup ;;
  serve) setup; shift; serve_demo "$@" ;;
  demo) setup; shift; "$VENV/bin/python" examples/bid_opening_day.py "$@" ;;
  test) setup; shift; run_tests "$@" ;;
  *) echo "usage: bash scripts/run.sh demo|serve|test|setup" >&2; exit 2 ;;
esac
