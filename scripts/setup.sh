#!/usr/bin/env bash
# Sets up Deskhand on a Linux machine: system packages (when root), a virtual environment in
# .venv, torch (CPU wheel, or a CUDA wheel where there is an NVIDIA GPU) before everything that
# depends on it, llama.cpp built with CUDA where the GPU and the CUDA toolkit are there, then
# Deskhand itself. Safe to run again: each step checks before it acts.
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app and the test tools
#   scripts/setup.sh --plan   print what this machine would get (GPU or CPU) and install nothing
# DESKHAND_CPU_ONLY=1 keeps the CPU builds on a machine with a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${DESKHAND_VENV:-$ROOT/.venv}"
EXTRAS=""
PLAN_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --test) EXTRAS="[test]" ;;
    --plan) PLAN_ONLY=1 ;;
    *) echo "usage: scripts/setup.sh [--test] [--plan]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- the device plan: models/device.py decides from nvidia-smi and nvcc (standard library only,
# so the system Python runs it before the virtual environment exists)
PY="${PYTHON:-python3}"
TORCH_INDEX="" LLAMA_CMAKE_ARGS="" PLAN_SUMMARY="the CPU builds (DESKHAND_CPU_ONLY=1)"
if [[ "${DESKHAND_CPU_ONLY:-0}" != 1 ]]; then
  PLAN_SUMMARY="no device plan ($PY -m models.device failed): the CPU builds"
  while IFS='=' read -r key value; do
    case "$key" in
      torch_index) TORCH_INDEX="$value" ;;
      llama_cmake_args) LLAMA_CMAKE_ARGS="$value" ;;
      summary) PLAN_SUMMARY="$value" ;;
    esac
  done < <("$PY" -m models.device setup-plan || true)
fi
TORCH_PIN="torch==2.13.0"
LLAMA_PIN="$(grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml | head -n1)"
if ((PLAN_ONLY)); then
  echo "device: $PLAN_SUMMARY"
  echo "torch: $TORCH_PIN from ${TORCH_INDEX:-the default index (the CPU wheel)}"
  if [[ -n "$LLAMA_CMAKE_ARGS" ]]; then
    echo "llama.cpp: $LLAMA_PIN built from source with CMAKE_ARGS=$LLAMA_CMAKE_ARGS"
  else
    echo "llama.cpp: $LLAMA_PIN for the CPU"
  fi
  exit 0
fi
say "device: $PLAN_SUMMARY"

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
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Deskhand needs Python 3.11 or newer ($PY is $("$PY" --version))" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating the virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# --- torch first: a CUDA wheel where the plan names one (a CPU torch already there is
# replaced), else the pinned CPU wheel where the machine has it, else the registry's default
if [[ -n "$TORCH_INDEX" ]] \
    && ! "$VENV/bin/python" -c 'import sys, torch; sys.exit(torch.version.cuda is None)' 2>/dev/null
then
  say "installing torch for CUDA from $TORCH_INDEX"
  "${PIP[@]}" uninstall -q -y torch 2>/dev/null || true
  "${PIP[@]}" install -q "$TORCH_PIN" --index-url "$TORCH_INDEX" \
    || "${PIP[@]}" install -q torch --index-url "$TORCH_INDEX" \
    || say "no CUDA torch could be installed: training runs on the CPU"
fi
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  say "installing torch"
  "${PIP[@]}" install -q "$TORCH_PIN" || "${PIP[@]}" install -q torch
fi

# --- llama.cpp with CUDA where the plan says so (a CPU build already there is rebuilt); built
# from source, without pip's cache, which would hand back the CPU wheel built before
if [[ -n "$LLAMA_CMAKE_ARGS" ]] && ! "$VENV/bin/python" -c \
    'import sys, llama_cpp; sys.exit(not llama_cpp.llama_supports_gpu_offload())' 2>/dev/null
then
  say "building $LLAMA_PIN with CUDA ($LLAMA_CMAKE_ARGS): several minutes"
  [[ -d /usr/local/cuda/bin ]] && export PATH="$PATH:/usr/local/cuda/bin"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "${PIP[@]}" install -q \
    --no-cache-dir --force-reinstall --no-deps --no-binary llama-cpp-python "$LLAMA_PIN" \
    || say "the CUDA build of llama.cpp failed: acting runs on the CPU (deskhand doctor says so)"
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
