#!/usr/bin/env bash
# Proves Deskhand's GPU path in one go, in under 10 minutes on a machine with an NVIDIA GPU:
#   build       scripts/setup.sh --test (CUDA torch, llama.cpp built with CUDA); both must see it
#   bench tiny  deskhand bench runtime, every layer on the GPU, the tiny model
#   bench real  the same on a random model as wide as Qwen2.5-VL-3B, served as Q4_K_M
#   judge real  deskhand bench judge on it: 8 verdicts one by one vs side by side
#   grpo real   10 GRPO steps of our trainer in bf16 on CUDA
#   lora parity an exported GGUF LoRA: llama.cpp on the GPU against peft on CUDA, for a tiny
#               Qwen2.5-VL and a tiny Qwen3-VL (deepstack)
#   fsdp real   with 2 or more GPUs: 3 GRPO steps with the model sharded over all of them
#               (packaging/accelerate/fsdp.yaml); on one GPU it says it is skipped
# Each check runs under its own timeout and prints one line of figures (its log is kept in the
# work folder). Without a GPU (or with --cpu) it says the GPU parts are skipped and runs its CPU
# fallback: bench tiny and judge tiny on the CPU, 2 GRPO steps, 2 sharded over two CPU processes, and both LoRA
# parities on the CPU (what CI runs).
#   scripts/gpu-check.sh [--cpu] [--work DIR]     DIR: where models are built and kept
# Exit status: 0 when every check that ran passed, 1 otherwise. The time limits add up to 645 s
# (765 s with several GPUs).
# GPU_CHECK_SETUP replaces the build command (tests run the GPU sequence with stand-ins).
set -uo pipefail
cd "$(dirname "$0")/.."
WORK="$PWD/.gpu-check"
FORCE_CPU=0
while (($#)); do
  case "$1" in
    --cpu) FORCE_CPU=1 ;;
    --work) WORK="$2"; shift ;;
    *) echo "usage: scripts/gpu-check.sh [--cpu] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
VENV="${DESKHAND_VENV:-$PWD/.venv}"
PY="$VENV/bin/python"
mkdir -p "$WORK"
PASSED=0 FAILED=0 STARTED=$SECONDS
# accelerate launch with the FSDP config the README documents (one process per GPU, or gloo)
SHARDED=(--config_file packaging/accelerate/fsdp.yaml --num_machines 1 --mixed_precision no
         --dynamo_backend no)

# check NAME SECONDS COMMAND...: run it under a timeout; print the last line it wrote (its
# figures) or why it failed
check() {
  local name="$1" limit="$2"
  shift 2
  local log="$WORK/${name// /-}"
  timeout --kill-after=10 "$limit" "$@" >"$log.out" 2>"$log.err"
  local rc=$?
  local figures
  figures="$(tail -n 1 "$log.out")"
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    echo "$figures"
  else
    FAILED=$((FAILED + 1))
    local why="exit $rc"
    ((rc == 124 || rc == 137)) && why="timed out after ${limit} s"
    local line="${figures:-$name:}"
    echo "${line% — FAILED} — FAILED ($why; see $log.err)"  # gpu_check.py's own mark, once
  fi
}

if ((FORCE_CPU == 0)) && command -v nvidia-smi >/dev/null \
    && [[ -n "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null)" ]]; then
  echo "gpu-check: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -n1)"
  build_started=$SECONDS
  # shellcheck disable=SC2086  # the command is words on purpose
  timeout --kill-after=10 240 ${GPU_CHECK_SETUP:-scripts/setup.sh --test} >"$WORK/setup.log" \
    2>&1 || echo "setup.sh did not finish (see $WORK/setup.log)"
  check build 30 "$PY" scripts/gpu_check.py device $((SECONDS - build_started))
  check "bench tiny" 45 "$PY" scripts/gpu_check.py bench tiny "$WORK" -1 4 32
  check "bench real" 120 "$PY" scripts/gpu_check.py bench real "$WORK" -1 4 32
  check "judge real" 60 "$PY" scripts/gpu_check.py judge real "$WORK" -1 8 48
  check "grpo real" 90 "$PY" scripts/gpu_check.py grpo real "$WORK" 10
  check "lora parity" 45 "$PY" scripts/gpu_check.py lora-parity "$WORK"
  check "lora parity qwen3" 45 "$PY" scripts/gpu_check.py lora-parity "$WORK" tiny-qwen3
  gpus="$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -c .)"
  if ((gpus >= 2)); then
    check "fsdp real" 120 "$PY" -m accelerate.commands.launch "${SHARDED[@]}" \
      --num_processes "$gpus" scripts/gpu_check.py fsdp real "$WORK" 3
  else
    echo "fsdp real: one GPU — SKIPPED (sharding the model needs 2 or more)"
  fi
  MODE="GPU"
else
  why="no NVIDIA GPU found (nvidia-smi)"
  ((FORCE_CPU)) && why="--cpu"
  echo "gpu-check: $why — SKIPPED the GPU parts: CUDA build, full offload on the tiny and" \
       "real-width models, 10 bf16 GRPO steps on CUDA, LoRA parity on the GPU; running the" \
       "CPU fallback"
  check "bench tiny" 120 "$PY" scripts/gpu_check.py bench tiny "$WORK" 0 2 8
  check "judge tiny" 60 "$PY" scripts/gpu_check.py judge tiny "$WORK" 0 4 8
  check "grpo tiny" 180 "$PY" scripts/gpu_check.py grpo tiny "$WORK" 2
  check "lora parity" 120 "$PY" scripts/gpu_check.py lora-parity "$WORK"
  check "lora parity qwen3" 120 "$PY" scripts/gpu_check.py lora-parity "$WORK" tiny-qwen3
  check "fsdp tiny" 120 env OMP_NUM_THREADS=1 "$PY" -m accelerate.commands.launch \
    "${SHARDED[@]}" --num_processes 2 scripts/gpu_check.py fsdp tiny "$WORK" 2
  MODE="CPU fallback (GPU parts skipped)"
fi
echo "gpu-check: $MODE: $PASSED passed, $FAILED failed in $((SECONDS - STARTED)) s"
((FAILED == 0))
