#!/usr/bin/env python3
"""Hugging Face reference outputs of all-MiniLM-L6-v2 for the fewdims-bert parity test.

Runs transformers.BertModel (eval, float32, CPU, eager attention, output_hidden_states=True) on a
few fixed inputs and writes ONE safetensors fixture. For each case C:

  C.input_ids, C.token_type_ids, C.attention_mask   [B,S] int64
  C.hidden.{l}       l = 0..6   [B,S,48] float32   hidden_states[l][:, :, ::8]  (l=0: embedding output)
  C.hidden_sum.{l}   l = 0..6   [B,S]    float32   hidden_states[l].sum(-1)     (float64 accumulation)
  C.pooler                      [B,384]  float32   pooler_output

Padded positions hold HF's outputs too; compare only where attention_mask is 1.
__metadata__: model, model_sha256, torch, transformers, tokenizers, dim_stride, cases, texts (JSON), ...
Run through scripts/parity/run.sh, which provides the pinned venv.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile

import tokenizers
import torch
import transformers
from safetensors import safe_open
from transformers import BertModel, BertTokenizer, BertTokenizerFast

DIM_STRIDE = 8
MAX_BYTES = 400 * 1024

# Fixed inputs. They exercise lowercasing, accent stripping, punctuation splitting, numbers,
# WordPiece continuation pieces and an out-of-vocabulary character ([UNK]).
CASES = {
    "short": "The movie was surprisingly GOOD!",
    "long": (
        "In 2004, the café's owner, a soft-spoken Zürich native, said quarterly profits had jumped "
        "76% to $1.13bn; critics, however, called the figures \"misleading\" and pointed to one-off "
        "gains from selling the headquarters, a £15.8m transfer fee 🙂 and an unexpectedly "
        "wet summer that had, frankly, nothing whatsoever to do with coffee."
    ),
    "pair": ["A man is playing a guitar on the stage.", "Someone performs music for an audience."],
    "batch": [
        "Great!",
        "I would not watch this film again, even for free.",
        "The plot meanders, the acting is wooden, and yet the soundtrack is oddly memorable for weeks.",
    ],
}
KIND = {"short": "single", "long": "single", "pair": "pair", "batch": "batch"}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hf_encode(tok, name, text):
    """BertTokenizerFast with no truncation; only the batch case is padded (to its longest)."""
    if KIND[name] == "single":
        enc = tok(text, padding=False, truncation=False, return_tensors="pt")
    elif KIND[name] == "pair":
        enc = tok(text[0], text[1], padding=False, truncation=False, return_tensors="pt")
    else:
        enc = tok(list(text), padding="longest", truncation=False, return_tensors="pt")
    return {k: enc[k].to(torch.int64) for k in ("input_ids", "token_type_ids", "attention_mask")}


def cross_check_tokenizers(model_dir, name, text, enc):
    """The raw `tokenizers` library and the slow WordPiece BertTokenizer (vocab.txt) must agree."""
    raw = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    raw.no_padding()
    raw.no_truncation()
    slow = BertTokenizer(os.path.join(model_dir, "vocab.txt"), do_lower_case=True)
    if KIND[name] == "single":
        rows = [(text, None)]
    elif KIND[name] == "pair":
        rows = [(text[0], text[1])]
    else:
        rows = [(t, None) for t in text]
    for b, (a, pair) in enumerate(rows):
        n = int(enc["attention_mask"][b].sum())
        ids = enc["input_ids"][b, :n].tolist()
        types = enc["token_type_ids"][b, :n].tolist()
        r = raw.encode(a, pair)
        if r.ids != ids or r.type_ids != types:
            sys.exit(f"{name}[{b}]: tokenizers gives {r.ids}/{r.type_ids}, BertTokenizerFast {ids}/{types}")
        s = slow(a, pair)["input_ids"]
        if s != ids:
            sys.exit(f"{name}[{b}]: slow BertTokenizer gives {s}, BertTokenizerFast {ids}")
        if any(enc["input_ids"][b, n:].tolist()) or any(enc["attention_mask"][b, n:].tolist()):
            sys.exit(f"{name}[{b}]: padding is not id 0 / mask 0")


def save_safetensors(tensors, path, metadata):
    """Like safetensors.torch.save_file, but byte-reproducible: save_file writes __metadata__ in
    hash-map order, so each run would give another file. Here keys are sorted and the header is
    compact JSON padded with spaces to 8 bytes, as the format requires."""
    dtypes = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
    header, blobs, offset = {"__metadata__": dict(sorted(metadata.items()))}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        code, np_dtype = dtypes[t.dtype]
        data = t.contiguous().numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for data in blobs:
            f.write(data)


def load_model(model_dir, attn):
    kwargs = dict(attn_implementation=attn, output_loading_info=True)
    try:
        model, info = BertModel.from_pretrained(model_dir, dtype=torch.float32, **kwargs)
    except TypeError:  # older transformers spell it torch_dtype
        model, info = BertModel.from_pretrained(model_dir, torch_dtype=torch.float32, **kwargs)
    bad = {k: v for k, v in info.items() if v and k != "unexpected_keys"}
    if bad:
        sys.exit(f"loading {model_dir}: {bad}")
    unexpected = [k for k in info.get("unexpected_keys", []) if not k.endswith("position_ids")]
    if unexpected:
        sys.exit(f"loading {model_dir}: unexpected keys {unexpected}")
    return model.eval().to(torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="all-MiniLM-L6-v2 folder from scripts/assets.sh")
    ap.add_argument("--out", required=True, help="fixture path (.safetensors)")
    args = ap.parse_args()

    torch.manual_seed(0)
    model_dir = args.model
    model_sha = sha256(os.path.join(model_dir, "model.safetensors"))

    tok = BertTokenizerFast.from_pretrained(model_dir)
    # tokenizer.json forces padding and truncation to 128: switch both off.
    tok.backend_tokenizer.no_padding()
    tok.backend_tokenizer.no_truncation()
    assert tok.pad_token_id == 0, tok.pad_token_id

    model = load_model(model_dir, "eager")
    model_sdpa = load_model(model_dir, "sdpa")
    layers = model.config.num_hidden_layers
    hidden = model.config.hidden_size

    tensors, notes = {}, []
    with torch.inference_mode():
        for name, text in CASES.items():
            enc = hf_encode(tok, name, text)
            cross_check_tokenizers(model_dir, name, text, enc)
            out = model(**enc, output_hidden_states=True, return_dict=True)
            hs = out.hidden_states
            assert len(hs) == layers + 1 and hs[0].dtype == torch.float32
            for k, v in enc.items():
                tensors[f"{name}.{k}"] = v.contiguous()
            for l, h in enumerate(hs):
                tensors[f"{name}.hidden.{l}"] = h[:, :, ::DIM_STRIDE].contiguous()
                tensors[f"{name}.hidden_sum.{l}"] = h.double().sum(-1).float().contiguous()
            tensors[f"{name}.pooler"] = out.pooler_output.contiguous()

            # Facts for choosing the Rust-side tolerances (printed, not stored).
            mask = enc["attention_mask"].bool()
            sd = model_sdpa(**enc, output_hidden_states=True, return_dict=True).hidden_states
            eager_vs_sdpa = max((a - b)[mask].abs().max().item() for a, b in zip(hs, sd))
            line = (f"{name}: B={enc['input_ids'].shape[0]} S={enc['input_ids'].shape[1]} "
                    f"max|h| {max(h[mask].abs().max().item() for h in hs):.2f}, "
                    f"eager vs sdpa {eager_vs_sdpa:.2e}")
            if name == "batch":  # padding invariance: each row alone vs inside the padded batch
                worst = 0.0
                for b in range(enc["input_ids"].shape[0]):
                    n = int(enc["attention_mask"][b].sum())
                    one = model(**{k: v[b:b + 1, :n] for k, v in enc.items()},
                                output_hidden_states=True, return_dict=True).hidden_states
                    worst = max(worst, max((x[b, :n] - y[0]).abs().max().item() for x, y in zip(hs, one)))
                line += f", padded vs alone {worst:.2e}"
            tok_line = " ".join(tok.convert_ids_to_tokens(enc["input_ids"][-1][enc["attention_mask"][-1].bool()].tolist()))
            notes.append(line)
            print(line)
            print(f"  tokens[-1]: {tok_line}")

    metadata = {
        "model": "all-MiniLM-L6-v2",
        "model_sha256": model_sha,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "dim_stride": str(DIM_STRIDE),
        "cases": ",".join(CASES),
        "texts": json.dumps(CASES, ensure_ascii=False),
        "num_layers": str(layers),
        "hidden_size": str(hidden),
        "attn_implementation": "eager",
        "hidden_sum": "hidden_states[l].sum(-1) accumulated in float64, stored float32",
        "padding": "batch case padded to its longest row with id 0, token_type 0, mask 0; "
                   "outputs at padded positions are HF's too (compare where attention_mask == 1)",
        "generator": "scripts/parity/make_reference.py",
    }

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(args.out) + "-", dir=out_dir)
    os.close(fd)
    try:
        save_safetensors(tensors, tmp, metadata)
        size = os.path.getsize(tmp)
        if size > MAX_BYTES:
            sys.exit(f"fixture would be {size} bytes, over the {MAX_BYTES} limit")
        with safe_open(tmp, "pt") as f:  # read back before publishing
            assert set(f.keys()) == set(tensors) and f.metadata() == metadata
            for k in f.keys():
                assert torch.equal(f.get_tensor(k), tensors[k]), k
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {args.out}: {len(tensors)} tensors, {size} bytes, sha256 {sha256(args.out)}")


if __name__ == "__main__":
    main()
