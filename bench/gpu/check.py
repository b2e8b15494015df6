"""GPU checks of fewdims (wgpu: run.sh; tch with CUDA: cuda.sh) against transformers, same machine.
Random-init weights of a given shape (seed 0; no hub there), the movie token files.
  python3 check.py make MODEL_DIR [CONFIG]    write config.json + model.safetensors
  python3 check.py ref MODEL_DIR TOK OUT DEV [BATCH]  readouts by transformers on DEV (cuda|cpu), timed
  python3 check.py cmp REF OURS [TOL]         max |diff| per readout; exit 1 beyond TOL
  python3 check.py widen SRC DST              fp16 model.safetensors -> fp32 model dir
  python3 check.py learned RUN_DIR            the loss fell and dev accuracy beats the majority class
  python3 check.py train MODEL_DIR TOK DEV BATCH STEPS [bf16]  transformers train steps, timed
"""
import json, sys, time
import numpy as np, torch, pyarrow.parquet as pq
from safetensors.numpy import load_file, save_file


def make(d, config=None):
    from transformers import BertConfig, BertModel
    import os, shutil
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    config = config or os.path.join(os.path.dirname(__file__), "config.json")
    cfg = BertConfig.from_json_file(config)
    m = BertModel(cfg).eval()
    with torch.no_grad():  # LayerNorm at init (1, 0) gives every token the same norm: perturb it
        for name, p in m.named_parameters():
            if "LayerNorm.weight" in name:
                p.uniform_(0.5, 1.5)
            elif "LayerNorm.bias" in name:
                p.normal_(0.0, 0.1)
    sd = {k: v.detach().contiguous().numpy() for k, v in m.state_dict().items() if "position_ids" not in k}
    save_file(sd, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(config, os.path.join(d, "config.json"))


def ref(d, tok, out, dev, bs="64"):
    bs = int(bs)
    from transformers import BertModel
    torch.backends.cuda.matmul.fp32_precision = "ieee"  # no TF32: full fp32 like ours
    model = BertModel.from_pretrained(d).to(dev).eval()
    t = pq.read_table(tok).to_pydict()
    rows = list(zip(t["input_ids"], t["token_type_ids"]))
    n = len(rows)
    L, H = model.config.num_hidden_layers + 1, model.config.hidden_size
    res = {k: np.zeros((n, L, H), np.float32) for k in ("cls", "max-norm", "mean", "pos:1")}
    order = sorted(range(n), key=lambda i: len(rows[i][0]))
    for rep in range(2):  # the first pass warms up CUDA; the second is timed
        if dev == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.inference_mode():
            for s in range(0, n, bs):
                idx = order[s:s + bs]
                w = max(len(rows[i][0]) for i in idx)
                ids = torch.zeros(len(idx), w, dtype=torch.long)
                tt = torch.zeros_like(ids); mask = torch.zeros_like(ids)
                for k, i in enumerate(idx):
                    a, b = rows[i]
                    ids[k, :len(a)] = torch.tensor(a); tt[k, :len(b)] = torch.tensor(b); mask[k, :len(a)] = 1
                ids, tt, mask = ids.to(dev), tt.to(dev), mask.to(dev)
                hs = torch.stack(model(input_ids=ids, token_type_ids=tt, attention_mask=mask,
                                       output_hidden_states=True).hidden_states, 1)
                m = mask[:, None, :, None].float()
                norms = hs.norm(dim=-1).masked_fill(mask[:, None, :] == 0, -1.0)
                arg = norms.argmax(-1)
                res["cls"][idx] = hs[:, :, 0].cpu().numpy()
                res["pos:1"][idx] = hs[:, :, 1].cpu().numpy()
                res["mean"][idx] = ((hs * m).sum(2) / m.sum(2)).cpu().numpy()
                res["max-norm"][idx] = torch.gather(hs, 2, arg[:, :, None, None].expand(-1, -1, 1, H))[:, :, 0].cpu().numpy()
        if dev == "cuda":
            torch.cuda.synchronize()
        wall = time.perf_counter() - t0
    save_file(res, out)
    name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu"
    print(json.dumps({"impl": "transformers", "device": name, "torch": torch.__version__, "rows": n, "batch": bs,
                      "seconds": round(wall, 3), "rows_per_second": round(n / wall, 1)}))


def cmp(a, b, tol="inf"):
    ra, rb = load_file(a), load_file(b)
    worst = 0.0
    for k in ("cls", "max-norm", "mean", "pos:1"):
        d = np.abs(ra[k] - rb[k])
        worst = max(worst, float(d.max()))
        print(f"{k:9s} max |diff| {d.max():.2e}  per layer " + " ".join(f"{x:.1e}" for x in d.max(axis=(0, 2))))
    ok = worst <= float(tol)
    print(f"parity {'PASS' if ok else 'FAIL'}: worst {worst:.2e} (bound {float(tol):.0e}) over {ra['cls'].shape[1]} layers")
    sys.exit(0 if ok else 1)


def widen(src, dst):
    import os, shutil
    os.makedirs(dst, exist_ok=True)
    t = load_file(os.path.join(src, "model.safetensors"))
    save_file({k: v.astype(np.float32) for k, v in t.items()}, os.path.join(dst, "model.safetensors"),
              metadata={"format": "pt"})
    shutil.copy(os.path.join(src, "config.json"), dst)


def learned(run, dev_tok="dev.parquet"):
    """The loss of the last tenth of the curve is below the first tenth's, and dev accuracy's 95%
    Wilson lower bound is above the majority-class rate of dev."""
    import math, os
    c = pq.read_table(os.path.join(run, "curve.parquet")).to_pydict()
    loss = c["loss"]
    k = max(1, len(loss) // 10)
    first, last = float(np.mean(loss[:k])), float(np.mean(loss[-k:]))
    r = json.load(open(os.path.join(run, "run.json")))
    acc = next(m["value"] for m in r["final"] if m["split"] == "dev" and m["metric"] == "accuracy")
    dev = pq.read_table(dev_tok).to_pydict()["label"]
    n = len(dev)
    major = max(np.bincount(dev)) / n
    z = 1.96
    lo = (acc + z * z / (2 * n) - z * math.sqrt(acc * (1 - acc) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    ok = last < first and lo > major
    print(f"training {'PASS' if ok else 'FAIL'}: {len(loss)} curve points, loss {first:.4f} -> {last:.4f}; "
          f"dev accuracy {acc:.4f} (95% lower bound {lo:.4f}) vs majority {major:.4f} (n={n}); "
          f"{r['timings']['train_examples_per_second']:.1f} train examples/s on {r['backend']} {r.get('device', '')}")
    sys.exit(0 if ok else 1)


def train(d, tok, dev, bs, steps, bf16=None):
    """CLS + linear head, AdamW, fp32 (or bf16 autocast): examples/s over STEPS steps after 5 warm-up."""
    from transformers import BertModel
    bs, steps = int(bs), int(steps)
    torch.backends.cuda.matmul.fp32_precision = "ieee"
    torch.manual_seed(0)
    model = BertModel(BertModel.config_class.from_pretrained(d), add_pooling_layer=False).to(dev).train()
    head = torch.nn.Linear(model.config.hidden_size, 2).to(dev)
    opt = torch.optim.AdamW(list(model.parameters()) + list(head.parameters()), lr=5e-5, weight_decay=0.01)
    t = pq.read_table(tok).to_pydict()
    rows = list(zip(t["input_ids"], t["token_type_ids"], t["label"]))

    def batch(s):
        idx = [(s * bs + k) % len(rows) for k in range(bs)]
        w = max(len(rows[i][0]) for i in idx)
        ids = torch.zeros(bs, w, dtype=torch.long); tt = torch.zeros_like(ids); mask = torch.zeros_like(ids)
        for k, i in enumerate(idx):
            a, b, _ = rows[i]
            ids[k, :len(a)] = torch.tensor(a); tt[k, :len(b)] = torch.tensor(b); mask[k, :len(a)] = 1
        y = torch.tensor([rows[i][2] for i in idx])
        return ids.to(dev), tt.to(dev), mask.to(dev), y.to(dev)

    def step(s):
        ids, tt, mask, y = batch(s)
        with torch.autocast(device_type=dev, dtype=torch.bfloat16, enabled=bool(bf16)):
            h = model(input_ids=ids, token_type_ids=tt, attention_mask=mask).last_hidden_state[:, 0]
            loss = torch.nn.functional.cross_entropy(head(h).float(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()) + list(head.parameters()), 1.0)
        opt.step(); opt.zero_grad(set_to_none=True)
        return loss

    for s in range(5):
        step(s)
    if dev == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for s in range(5, 5 + steps):
        loss = step(s)
    float(loss)
    wall = time.perf_counter() - t0
    print(json.dumps({"impl": "transformers" + ("-bf16" if bf16 else "-fp32"), "device": dev, "batch": bs,
                      "steps": steps, "train_examples_per_second": round(bs * steps / wall, 1)}))


if __name__ == "__main__":
    {"make": make, "ref": ref, "cmp": cmp, "widen": widen, "learned": learned,
     "train": train}[sys.argv[1]](*sys.argv[2:])
