#!/usr/bin/env python3
"""A training trajectory of transformers + torch, for the fewdims-train trajectory parity test.

Trains the CLS vector of all-MiniLM-L6-v2's last layer + a linear head for STEPS optimizer steps,
set up exactly as transformers' Trainer sets up a run (optim "adamw_torch"):
  - AdamW (betas 0.9/0.999, eps 1e-8) with Trainer's two parameter groups: weight decay on every
    parameter but the biases and LayerNorm parameters (Trainer.get_decay_parameter_names);
  - get_linear_schedule_with_warmup with TrainingArguments.get_warmup_steps (ceil);
  - clip_grad_norm_ over all parameters before each step (Trainer logs its return as grad_norm);
  - cross-entropy on the head's logits.
Dropout is off (config dropouts 0), the batches are committed (VADER's movie snippets with
|score| >= 0.5, positive and negative interleaved, in file order), and the head starts from HF's _init_weights
(N(0, initializer_range), bias 0) under torch.manual_seed(0), written into the fixture.

The fixture (JSON) holds, per step, the batch, the loss, the pre-clipping gradient norm and the
learning rate used; and a few tensors before and after training (HF names). Run through
scripts/parity/run_trajectory.sh, which provides the pinned venv (scripts/parity/run.sh).
"""
import argparse
import json
import math
import os
import types

import torch
import transformers
from make_reference import sha256  # (this script's sibling)
from transformers import BertModel, BertTokenizerFast, Trainer, TrainingArguments, get_linear_schedule_with_warmup

STEPS = 30
BATCH = 8
MAX_LEN = 40
LR = 1e-4
# Large on purpose, so that decaying a bias or LayerNorm weight by mistake moves it past the
# test's tolerance within 30 steps.
WEIGHT_DECAY = 0.5
# ceil(0.04 * 30) = 2 warm-up steps; rounding would give 1.
WARMUP_RATIO = 0.04
MAX_GRAD_NORM = 1.0

# Tensors compared after training: (HF name, rows kept or None for all).
FINAL = [
    ("head.out_proj.weight", None),
    ("head.out_proj.bias", None),
    ("embeddings.word_embeddings.weight", [101, 1996, 2143]),
    ("embeddings.LayerNorm.weight", None),
    ("encoder.layer.0.attention.self.query.weight", [0, 1, 2, 3]),
    ("encoder.layer.5.attention.output.dense.bias", None),
    ("encoder.layer.5.output.LayerNorm.weight", None),
    ("encoder.layer.5.output.LayerNorm.bias", None),
]


class ClsLinear(torch.nn.Module):
    """fewdims' `--token cls --head linear`: the CLS vector of the last layer, one FC layer."""

    def __init__(self, bert, num_labels):
        super().__init__()
        self.bert = bert
        self.head = torch.nn.Module()
        self.head.out_proj = torch.nn.Linear(bert.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return self.head.out_proj(h.last_hidden_state[:, 0])


def batches(tok, snippets):
    rows = []
    with open(snippets, encoding="utf-8") as f:
        for line in f:
            _, score, text = line.rstrip("\n").split("\t", 2)
            if abs(float(score)) >= 0.5:
                rows.append((text, int(float(score) > 0)))
    # The file lists positive snippets first: interleave the two classes.
    pos, neg = [r for r in rows if r[1] == 1], [r for r in rows if r[1] == 0]
    rows = [r for pair in zip(pos, neg) for r in pair][: STEPS * BATCH]
    out = []
    for s in range(STEPS):
        chunk = rows[s * BATCH : (s + 1) * BATCH]
        ids = [tok(t, truncation=True, max_length=MAX_LEN)["input_ids"] for t, _ in chunk]
        out.append({"input_ids": ids, "labels": [y for _, y in chunk]})
    return out


def padded(ids):
    width = max(len(r) for r in ids)
    input_ids = torch.tensor([r + [0] * (width - len(r)) for r in ids])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in ids])
    return input_ids, mask, torch.zeros_like(input_ids)


def tensors(model, spec):
    params = dict(model.named_parameters())
    out = {}
    for name, rows in spec:
        torch_name = name if name.startswith("head.") else "bert." + name
        t = params[torch_name].detach()
        if rows is not None:
            t = t[rows]
        out[name] = {"rows": rows, "shape": list(t.shape), "values": t.flatten().tolist()}
    return out


def main():
    cache = os.environ.get("FEWDIMS_CACHE", os.path.expanduser("~/.cache/fewdims"))
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=os.path.join(cache, "assets/all-MiniLM-L6-v2"))
    p.add_argument("--snippets", default=os.path.join(cache, "assets/vader/movieReviewSnippets_GroundTruth.txt"))
    p.add_argument("--out", default=os.path.join(here, "../../crates/fewdims-train/tests/fixtures/minilm_trajectory.json"))
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    tok = BertTokenizerFast.from_pretrained(a.model)
    data = batches(tok, a.snippets)
    bert = BertModel.from_pretrained(
        a.model, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, attn_implementation="eager"
    )
    model = ClsLinear(bert, 2)
    torch.manual_seed(0)
    std = bert.config.initializer_range
    with torch.no_grad():
        model.head.out_proj.weight.normal_(0.0, std)
        model.head.out_proj.bias.zero_()
    initial = tensors(model, FINAL[:2])
    model.train()

    # Trainer's own rules, called without building a Trainer (it needs accelerate).
    decay = set(Trainer.get_decay_parameter_names(None, model))
    groups = [
        {"params": [p for n, p in model.named_parameters() if n in decay], "weight_decay": WEIGHT_DECAY},
        {"params": [p for n, p in model.named_parameters() if n not in decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    warmup = TrainingArguments.get_warmup_steps(types.SimpleNamespace(warmup_steps=0, warmup_ratio=WARMUP_RATIO), STEPS)
    assert warmup == math.ceil(STEPS * WARMUP_RATIO) == 2, warmup
    sched = get_linear_schedule_with_warmup(opt, warmup, STEPS)

    steps = []
    for batch in data:
        lr = sched.get_last_lr()[0]
        input_ids, mask, types_ = padded(batch["input_ids"])
        logits = model(input_ids, mask, types_)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(batch["labels"]))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        steps.append({"loss": loss.item(), "grad_norm": norm.item(), "lr": lr})

    fixture = {
        "meta": {
            "model_sha256": sha256(os.path.join(a.model, "model.safetensors")),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "steps": STEPS,
            "batch_size": BATCH,
            "lr": LR,
            "weight_decay": WEIGHT_DECAY,
            "warmup_ratio": WARMUP_RATIO,
            "warmup_steps": warmup,
            "max_grad_norm": MAX_GRAD_NORM,
            "no_decay": sorted(n for n, _ in model.named_parameters() if n not in decay)[:6] + ["..."],
        },
        "batches": data,
        "steps": steps,
        "initial": initial,
        "final": tensors(model, FINAL),
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    os.replace(tmp, a.out)
    print(f"{a.out}: {STEPS} steps, loss {steps[0]['loss']:.4f} -> {steps[-1]['loss']:.4f}, "
          f"{os.path.getsize(a.out) // 1024} KB")


if __name__ == "__main__":
    main()
