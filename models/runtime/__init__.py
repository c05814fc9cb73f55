"""The llama.cpp runtime: one quantized VLM (+ projector) serving actor and critic adapters.

Importing this package loads nothing: llama_cpp is imported when a runtime is built.
"""

from models.runtime.config import RuntimeConfig
from models.runtime.llama import LlamaRuntime
from models.runtime.result import FinishReason, Generation, Prompt, PromptLike, Timings

__all__ = ["FinishReason", "Generation", "LlamaRuntime", "Prompt", "PromptLike",
           "RuntimeConfig", "Timings"]
