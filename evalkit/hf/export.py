"""A llama2.c / evalkit checkpoint as a Hugging Face Llama folder: config.json, model.safetensors, tokenizer.json,
tokenizer_config.json and generation_config.json, which transformers' LlamaForCausalLM and AutoTokenizer load as
they are (local files, no remote code). Nothing here imports transformers: the files are plain formats.

    weights     the same tensors under Llama's names; wq and wk permuted, because llama2.c rotates each pair of
                neighbouring dimensions (RoPE on complex pairs) and transformers rotates the two halves of a head
                (rotate_half): the permutation makes the two the same function. A shared classifier is tied
                (tie_word_embeddings), not written twice.
    tokenizer   the sentencepiece BPE model as a `tokenizers` BPE with byte fallback: its pieces, merges ranked by
                the score of the piece they make (sentencepiece merges the highest-scoring pair first), and the
                normalisation sentencepiece applies, found by asking it (extra spaces removed, a dummy prefix),
                so both give the same ids; BOS is added to every text, as llama2.c and evalkit do.

The folder is written beside OUT under a temporary name and renamed into place: never half a folder, and never
over one that holds files.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import unicodedata
from pathlib import Path

import torch

from evalkit.model.checkpoint import Checkpoint

from ..errors import EvalkitError

ROPE_THETA = 10000.0  # ModelArgs has no theta: llama2.c's, and ours, is always this
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def export_hf(ckpt: Checkpoint, tok, out) -> int:
    """Write ckpt (with its sentencepiece tokenizer `tok`) as a Llama folder at OUT; returns the weights' bytes."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EvalkitError("already exists and is not an empty folder: pass a new folder for the Hugging Face "
                           "export", out)
    tensors, tied = llama_tensors(ckpt)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        size = write_safetensors(tmp / "model.safetensors", tensors)
        _json(tmp / "config.json", llama_config(ckpt, tok, tied))
        _json(tmp / "generation_config.json", {"bos_token_id": tok.bos_id, "eos_token_id": tok.eos_id})
        _json(tmp / "tokenizer.json", tokenizer_json(tok))
        _json(tmp / "tokenizer_config.json", {
            "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": tok.sp.id_to_piece(tok.bos_id),
            "eos_token": tok.sp.id_to_piece(tok.eos_id), "unk_token": tok.sp.id_to_piece(tok.sp.unk_id()),
            "model_max_length": ckpt.args.max_seq_len, "clean_up_tokenization_spaces": False})
        if out.exists():
            out.rmdir()  # empty, checked above
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return size


def llama_tensors(ckpt: Checkpoint) -> tuple[dict[str, torch.Tensor], bool]:
    """The state dict under transformers' Llama names (wq, wk permuted for rotate_half); whether it is tied."""
    a, sd = ckpt.args, ckpt.state_dict
    tied = sd["output.weight"].data_ptr() == sd["tok_embeddings.weight"].data_ptr()

    def halves(w: torch.Tensor, heads: int) -> torch.Tensor:
        rows, cols = w.shape
        return w.view(heads, rows // heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)

    out = {"model.embed_tokens.weight": sd["tok_embeddings.weight"], "model.norm.weight": sd["norm.weight"]}
    if not tied:
        out["lm_head.weight"] = sd["output.weight"]
    names = {"attention.wv.weight": "self_attn.v_proj.weight", "attention.wo.weight": "self_attn.o_proj.weight",
             "feed_forward.w1.weight": "mlp.gate_proj.weight", "feed_forward.w2.weight": "mlp.down_proj.weight",
             "feed_forward.w3.weight": "mlp.up_proj.weight", "attention_norm.weight": "input_layernorm.weight",
             "ffn_norm.weight": "post_attention_layernorm.weight"}
    for i in range(a.n_layers):
        ours, theirs = f"layers.{i}.", f"model.layers.{i}."
        out[theirs + "self_attn.q_proj.weight"] = halves(sd[ours + "attention.wq.weight"], a.n_heads)
        out[theirs + "self_attn.k_proj.weight"] = halves(sd[ours + "attention.wk.weight"], a.n_kv_heads)
        out |= {theirs + name: sd[ours + key] for key, name in names.items()}
    return out, tied


def llama_config(ckpt: Checkpoint, tok, tied: bool) -> dict:
    a = ckpt.args
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": a.vocab_size,
            "hidden_size": a.dim, "intermediate_size": a.hidden_dim, "num_hidden_layers": a.n_layers,
            "num_attention_heads": a.n_heads, "num_key_value_heads": a.n_kv_heads, "head_dim": a.head_dim,
            "max_position_embeddings": a.max_seq_len, "rms_norm_eps": a.norm_eps, "rope_theta": ROPE_THETA,
            "hidden_act": "silu", "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": tied,
            "bos_token_id": tok.bos_id, "eos_token_id": tok.eos_id,
            "dtype": "float32", "torch_dtype": "float32",  # computed in float32, as evalkit.model does (v5, v4 names)
            "evalkit": {"iter_num": ckpt.iter_num, "exported_from": str(ckpt.path)}}


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor]) -> int:
    """The safetensors format, written directly: a little-endian u64 header length, a JSON header (padded with
    spaces to 8 bytes) naming each tensor's dtype, shape and byte range, then the bytes."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        if t.dtype not in DTYPES:
            raise EvalkitError(f"tensor {name} is {t.dtype}; the Hugging Face export writes float32, float16 or "
                               f"bfloat16")
        data = t.detach().cpu().contiguous().flatten().view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        for data in blobs:
            f.write(data)
    return offset


def tokenizer_json(tok) -> dict:
    """tokenizers' tokenizer.json for a sentencepiece BPE model with byte fallback (see the module docstring)."""
    sp = tok.sp
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = sorted(((-sp.get_score(i), vocab[p[:k]], vocab[p[k:]]), (p[:k], p[k:]))
                    for i, p in enumerate(pieces) if not (sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i))
                    for k in range(1, len(p))
                    if p[:k] in vocab and p[k:] in vocab)
    specials = sorted({sp.unk_id(), tok.bos_id, tok.eos_id} - {-1})
    prefix = pieces[sp.encode("a")[0]].startswith("▁")  # sentencepiece's dummy prefix
    squeeze = sp.encode("a  b") == sp.encode("a b") and sp.encode(" a") == sp.encode("a")
    normalizers = ([{"type": "NFKC"}] if sp.decode(sp.encode("ﬁ")) == unicodedata.normalize("NFKC", "ﬁ") != "ﬁ"
                   else [])
    if squeeze:  # remove_extra_whitespaces: no leading or trailing spaces, and one space for many
        normalizers += [{"type": "Replace", "pattern": {"Regex": "^ +| +$"}, "content": ""},
                        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]
    normalizers += [{"type": "Prepend", "prepend": "▁"}] if prefix else []
    normalizers += [{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]
    bos = pieces[tok.bos_id]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i in specials],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}],
                           "special_tokens": {bos: {"id": bos, "ids": [tok.bos_id], "tokens": [bos]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}] + ([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if prefix else [])},
        "model": {"type": "BPE", "dropout": None, "unk_token": pieces[sp.unk_id()], "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [list(pair) for _, pair in merges]},
    }


def _json(path: Path, obj: dict):
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
