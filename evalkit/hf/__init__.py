"""Hugging Face's side of evalkit: their folders as they are (config.json, safetensors, tokenizer.json).

    export.py   a llama2.c / evalkit checkpoint written as a Llama folder that transformers loads as it is

Everything that imports transformers is behind the optional extra: pip install "evalkit[hf]".
"""
