"""GPU check of fewdims' wgpu backend (Vulkan) against transformers on CUDA, same machine.
Random-init MiniLM-shaped weights (seed 0; no hub here), the movie token files.
  python3 check.py make MODEL_DIR            write config.json + model.safetensors
  python3 check.py ref MODEL_DIR TOK OUT DEV  readouts by transformers on DEV (cuda|cpu), timed
  python3 check.py cmp REF OURS               max |diff| per readout
"""
import json, sys, time
import numpy as np, torch, pyarrow.parquet as pq
from safetensors.numpy import load_file, save_file


def make(d):
    from transformers import BertConfig, BertModel
    import os, shutil
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    cfg = BertConfig.from_json_file(os.path.join(os.path.dirname(__file__), "config.json"))
    m = BertModel(cfg).eval()
    with torch.no_grad():  # LayerNorm at init (1, 0) gives every token the same norm: perturb it
        for name, p in m.named_parameters():
            if "LayerNorm.weight" in name:
                p.uniform_(0.5, 1.5)
            elif "LayerNorm.bias" in name:
                p.normal_(0.0, 0.1)
    sd = {k: v.detach().contiguous().numpy() for k, v in m.state_dict().items() if "position_ids" not in k}
    save_file(sd, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(os.path.join(os.path.dirname(__file__), "config.json"), d)


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


def cmp(a, b):
    ra, rb = load_file(a), load_file(b)
    for k in ("cls", "max-norm", "mean", "pos:1"):
        d = np.abs(ra[k] - rb[k])
        print(f"{k:9s} max |diff| {d.max():.2e}  per layer " + " ".join(f"{x:.1e}" for x in d.max(axis=(0, 2))))


if __name__ == "__main__":
    {"make": make, "ref": ref, "cmp": cmp}[sys.argv[1]](*sys.argv[2:])
