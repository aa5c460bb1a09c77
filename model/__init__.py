"""The shared llama2.c-architecture model: args, Transformer, tokenizer, checkpoints, data and trainer."""
