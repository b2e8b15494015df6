"""The peer of `extract-hidden`: PyTorch + transformers with output_hidden_states on the same token
file, weights, batch size and threads. Computes, for every layer 0..L, the CLS, max-norm, mean and
pos:1 readouts (as extract-hidden does) and keeps them in memory as float32 [N, L+1, H] arrays.
Prints one JSON line: sentences/s, wall seconds, peak RSS.
"""
import argparse, json, resource, time

import numpy as np
import pyarrow.parquet as pq
import torch
from transformers import BertModel


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--tok", required=True, help="a token parquet")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t = pq.read_table(a.tok).to_pydict()
    rows = list(zip(t["input_ids"], t["token_type_ids"]))
    model = BertModel.from_pretrained(a.model, attn_implementation="eager").eval()
    cfg = model.config
    n, layers, h = len(rows), cfg.num_hidden_layers + 1, cfg.hidden_size
    out = {k: np.zeros((n, layers, h), np.float32) for k in ("cls", "max-norm", "mean", "pos:1")}
    # Length-sorted batches, like extract-hidden's.
    order = sorted(range(n), key=lambda i: len(rows[i][0]))
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, n, a.batch_size):
            idx = order[s:s + a.batch_size]
            width = max(len(rows[i][0]) for i in idx)
            ids = torch.zeros(len(idx), width, dtype=torch.long)
            tt = torch.zeros_like(ids)
            mask = torch.zeros_like(ids)
            for k, i in enumerate(idx):
                a_ids, a_tt = rows[i]
                ids[k, :len(a_ids)] = torch.tensor(a_ids)
                tt[k, :len(a_tt)] = torch.tensor(a_tt)
                mask[k, :len(a_ids)] = 1
            hs = torch.stack(model(input_ids=ids, token_type_ids=tt, attention_mask=mask,
                                   output_hidden_states=True).hidden_states, 1)  # [B, L+1, S, H]
            m = mask[:, None, :, None].float()
            norms = hs.norm(dim=-1).masked_fill(mask[:, None, :] == 0, -1.0)  # [B, L+1, S]
            arg = norms.argmax(-1)  # [B, L+1]
            out["cls"][idx] = hs[:, :, 0].numpy()
            out["pos:1"][idx] = hs[:, :, 1].numpy()
            out["mean"][idx] = ((hs * m).sum(2) / m.sum(2)).numpy()
            out["max-norm"][idx] = torch.gather(hs, 2, arg[:, :, None, None].expand(-1, -1, 1, h))[:, :, 0].numpy()
    wall = time.perf_counter() - t0
    print(json.dumps({"impl": "transformers", "rows": n, "seconds": wall, "rows_per_second": n / wall,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
