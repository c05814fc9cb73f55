"""A quantized model runs through the runtime with the default settings.

llama.cpp's CPU weight repacking uses AMX tile instructions where the CPU advertises them;
some virtual machines advertise AMX and then fault, killing the process with SIGILL. The
runtime keeps repacking off unless ``cpu_repack`` is set, so a quantized model must run here
in a child process (a SIGILL would otherwise take the test run down with it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from models.tiny import TinyModel

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys
from models.runtime import LlamaRuntime, RuntimeConfig
from tests.models.runtime.helpers import prompt
config = RuntimeConfig(threads=2, n_ctx=2048, n_batch=256, max_new_tokens=8, seed=1)
with LlamaRuntime(sys.argv[1], sys.argv[2], config) as rt:
    out = rt.generate(prompt(0), greedy=True, ignore_eos=True)
print("tokens", out.n_tokens)
"""


def test_q4_k_m_and_q8_0_generate_with_default_settings(tiny_model_256: TinyModel) -> None:
    for kind in ("Q8_0", "Q4_K_M"):
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tiny_model_256.quantized[kind]),
             str(tiny_model_256.mmproj_path)], cwd=ROOT, capture_output=True, text=True,
            timeout=300)
        assert result.returncode == 0, (kind, result.returncode, result.stderr[-2000:])
        assert "tokens 8" in result.stdout, (kind, result.stdout)
