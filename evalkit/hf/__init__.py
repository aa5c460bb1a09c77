"""Hugging Face's side of evalkit: their folders as they are (config.json, safetensors, tokenizer.json).

    folder.py    a model folder read as a checkpoint (config checked, the step, its weight files), no transformers
    model.py     a folder asked evalkit's questions (evalkit.models) through transformers, local files only
    export.py    a llama2.c / evalkit checkpoint written as a Llama folder that transformers loads as it is
    callback.py  EvalkitCallback: a Trainer's saves judged as they are written (`from evalkit.hf import
                 EvalkitCallback`)

What imports transformers is behind the optional extra (pip install "evalkit[hf]"); the package itself does not,
so the core install reads folders and exports without it.
"""


def __getattr__(name: str):
    """EvalkitCallback is imported when asked for: it subclasses transformers' TrainerCallback."""
    if name == "EvalkitCallback":
        from .callback import EvalkitCallback

        return EvalkitCallback
    raise AttributeError(f"module 'evalkit.hf' has no attribute {name!r}")
