"""The peer of `finetune`: PyTorch + transformers on the same token files, weights and settings.

Reads fewdims' token parquet (so both sides see identical ids), fine-tunes BertModel + dropout +
Linear on the CLS vector of the last layer (fewdims' `--token cls --head linear`), set up as
Trainer sets up a run: AdamW (eps 1e-8; fused where Trainer's default optim is adamw_torch_fused) with Trainer's parameter groups (no weight decay on biases
and LayerNorm parameters), a head initialised as `_init_weights` (N(0, initializer_range), bias 0),
the linear warm-up/decay schedule with ceil(warmup_ratio * steps) warm-up steps, global-norm
clipping; dynamic padding, best epoch by dev accuracy. Prints one JSON line: dev/test accuracy, train examples/s,
peak RSS.

--trainer-defaults instead runs transformers' Trainer with its defaults (batch 8, lr 5e-5,
3 epochs, no warm-up, no weight decay) on BertForSequenceClassification, for the throughput ratio.
"""
import argparse, json, math, resource, time

import numpy as np
import pyarrow.parquet as pq
import torch
from torch import nn
from transformers import BertModel, get_linear_schedule_with_warmup


def load(path):
    t = pq.read_table(path).to_pydict()
    return [(ids, types, lab) for ids, types, lab in zip(t["input_ids"], t["token_type_ids"], t["label"])]


def batches(rows, size, rng=None):
    order = np.arange(len(rows)) if rng is None else rng.permutation(len(rows))
    for i in range(0, len(rows), size):
        chunk = [rows[j] for j in order[i:i + size]]
        s = max(len(r[0]) for r in chunk)
        ids = torch.zeros(len(chunk), s, dtype=torch.long)
        tt = torch.zeros_like(ids)
        mask = torch.zeros_like(ids)
        for k, (a, b, _) in enumerate(chunk):
            ids[k, :len(a)] = torch.tensor(a)
            tt[k, :len(b)] = torch.tensor(b)
            mask[k, :len(a)] = 1
        yield ids, tt, mask, torch.tensor([r[2] for r in chunk])


class Classifier(nn.Module):
    def __init__(self, model_dir, classes):
        super().__init__()
        self.bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False, attn_implementation="eager")
        self.drop = nn.Dropout(self.bert.config.hidden_dropout_prob)
        self.out = nn.Linear(self.bert.config.hidden_size, classes)
        nn.init.normal_(self.out.weight, 0.0, self.bert.config.initializer_range)  # as _init_weights
        nn.init.zeros_(self.out.bias)

    def forward(self, ids, tt, mask):
        h = self.bert(input_ids=ids, token_type_ids=tt, attention_mask=mask).last_hidden_state[:, 0]
        return self.out(self.drop(h))


def accuracy(model, rows, bs):
    model.eval()
    right = 0
    with torch.no_grad():
        for ids, tt, mask, y in batches(rows, bs):
            right += (model(ids, tt, mask).argmax(-1) == y).sum().item()
    model.train()
    return right / len(rows)


def trainer_defaults(a, train, dev, test):
    """transformers' Trainer with its own defaults (batch 8, lr 5e-5, 3 epochs, no warm-up, no weight
    decay, clipping 1.0) on BertForSequenceClassification: what a user gets out of the box."""
    import tempfile
    from transformers import BertForSequenceClassification, Trainer, TrainingArguments

    classes = max(r[2] for r in train) + 1
    model = BertForSequenceClassification.from_pretrained(a.model, num_labels=classes, attn_implementation="eager")
    enc = lambda rows: [{"input_ids": i, "token_type_ids": t, "labels": y} for i, t, y in rows]

    def collate(feats):
        ids, tt, mask, y = next(batches([(f["input_ids"], f["token_type_ids"], f["labels"]) for f in feats], len(feats)))
        return {"input_ids": ids, "token_type_ids": tt, "attention_mask": mask, "labels": y}

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, seed=a.seed, report_to="none", save_strategy="no",
                                 use_cpu=True, disable_tqdm=True)
        trainer = Trainer(model=model, args=args, train_dataset=enc(train), data_collator=collate)
        m = trainer.train().metrics
        acc = lambda rows: float(np.mean(np.argmax(trainer.predict(enc(rows)).predictions, -1) == [r[2] for r in rows]))
        d, t = acc(dev), acc(test)
    print(json.dumps({"impl": "transformers-Trainer-defaults", "seed": a.seed, "best_epoch": args.num_train_epochs,
                      "dev_accuracy": d, "test_accuracy": t,
                      "train_examples_per_second": m["train_samples_per_second"],
                      "batch_size": args.per_device_train_batch_size,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--tok", required=True, help="folder with train/dev/test.parquet")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--max-train", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--trainer-defaults", action="store_true")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    train, dev, test = (load(f"{a.tok}/{s}.parquet") for s in ("train", "dev", "test"))
    if a.max_train:
        train = [train[i] for i in sorted(rng.choice(len(train), a.max_train, replace=False))]
    if a.trainer_defaults:
        return trainer_defaults(a, train, dev, test)
    classes = max(r[2] for r in train) + 1
    model = Classifier(a.model, classes)
    from transformers import Trainer
    decay = set(Trainer.get_decay_parameter_names(None, model))  # (a method that ignores self)
    groups = [
        {"params": [p for n, p in model.named_parameters() if n in decay], "weight_decay": a.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n not in decay], "weight_decay": 0.0},
    ]
    # Trainer's own choice on this install: "adamw_torch_fused" with torch >= 2.8 (one fused kernel
    # per parameter, also on the CPU), else "adamw_torch".
    from transformers import TrainingArguments
    optim = TrainingArguments.__dataclass_fields__["optim"].default  # (building one needs accelerate)
    optim = getattr(optim, "value", optim)
    opt = torch.optim.AdamW(groups, lr=a.lr, eps=1e-8, fused=optim == "adamw_torch_fused")
    steps = a.epochs * ((len(train) + a.batch_size - 1) // a.batch_size)
    sched = get_linear_schedule_with_warmup(opt, math.ceil(a.warmup_ratio * steps), steps)
    best, train_time, seen = None, 0.0, 0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        for ids, tt, mask, y in batches(train, a.batch_size, rng):
            loss = nn.functional.cross_entropy(model(ids, tt, mask), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            seen += len(y)
        train_time += time.perf_counter() - t0
        d, t = accuracy(model, dev, 128), accuracy(model, test, 128)
        if best is None or d > best[1]:
            best = (epoch + 1, d, t)
    print(json.dumps({"impl": "transformers", "optim": optim, "seed": a.seed, "best_epoch": best[0], "dev_accuracy": best[1],
                      "test_accuracy": best[2], "train_examples_per_second": seen / train_time,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
