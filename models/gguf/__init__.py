"""GGUF writing for llama.cpp: HF Qwen-VL → text model + mmproj, peft LoRA → GGUF adapter,
quantization. Written with the ``gguf`` package's ``GGUFWriter``; torch is imported only
inside the functions that read checkpoints.
"""

from models.gguf.convert import convert_qwen_vl
from models.gguf.hf import UnsupportedModelError
from models.gguf.lora import TEXT_TARGET_MODULES, export_lora
from models.gguf.quantize import QuantizeError, quantize_gguf
from models.gguf.qwen_mmproj import convert_mmproj
from models.gguf.qwen_text import convert_text

__all__ = [
    "TEXT_TARGET_MODULES", "QuantizeError", "UnsupportedModelError", "convert_mmproj",
    "convert_qwen_vl", "convert_text", "export_lora", "quantize_gguf",
]
