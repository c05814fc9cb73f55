"""ML models: families (prompt + output format), llama.cpp runtime, GGUF conversion, LoRA
export, hub downloads and the tiny test models. Imports nothing else of Deskhand's.
"""
