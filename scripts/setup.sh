#!/usr/bin/env bash
# Sets up Deskhand on a Linux machine: system packages (when root), a virtual environment in
# .venv, torch (CPU wheel where the machine has one) before everything that depends on it,
# then Deskhand itself. Safe to run again: each step checks before it acts.
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${DESKHAND_VENV:-$ROOT/.venv}"
EXTRAS=""
[[ "${1:-}" == "--test" ]] && EXTRAS="[test]"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages: a virtual X display for tests, Qt's xcb libraries, a compiler for llama.cpp
SYSTEM_PKGS=(xvfb xdotool x11-utils openbox libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1
  libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 gcc g++ cmake make)
if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${SYSTEM_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $EUID -eq 0 ]]; then
      say "installing system packages: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      say "missing system packages (run as root to install): sudo apt-get install ${missing[*]}"
    fi
  fi
fi

# --- Chromium and its driver, for the MiniWoB++ benchmark (deskhand eval miniwob); the rest of
# Deskhand works without them, so a distribution that names them differently is not fatal
BROWSER_PKGS=(chromium chromium-driver)
have_browser() {
  { command -v chromium || command -v chromium-browser; } >/dev/null \
    && { command -v chromedriver >/dev/null || [[ -x /usr/lib/chromium/chromedriver ]]; }
}
if ! have_browser; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Chromium and its driver (for deskhand eval miniwob)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${BROWSER_PKGS[@]}" >/dev/null \
      || say "could not install ${BROWSER_PKGS[*]}: deskhand eval miniwob needs them"
  else
    say "for deskhand eval miniwob (run as root to install): sudo apt-get install ${BROWSER_PKGS[*]}"
  fi
fi

# --- Python 3.11+ and the virtual environment
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Deskhand needs Python 3.11 or newer ($PY is $("$PY" --version))" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating the virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# --- torch first: the pinned CPU wheel where the machine has it, else the registry's default
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  say "installing torch"
  "${PIP[@]}" install -q torch==2.13.0 || "${PIP[@]}" install -q torch
fi

# --- Deskhand (llama-cpp-python compiles llama.cpp the first time: ~8 minutes on 2 cores)
STAMP="$VENV/.deskhand-installed$EXTRAS"
WANT="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
  say "installing Deskhand$EXTRAS (the first llama.cpp compile takes several minutes)"
  "${PIP[@]}" install -q -e ".$EXTRAS"
  echo "$WANT" > "$STAMP"
fi
say "ready: $VENV"
