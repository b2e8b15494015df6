#!/usr/bin/env python3
"""Times scikit-learn LogisticRegression on a random sample of dim pairs (the probe-dims `pair`
mode: fit on standardized train, predict dev and test), and checks fewdims' dev accuracies on
the same pairs. Prints one JSON line."""
import argparse
import json
import time

import numpy as np
import pyarrow.parquet as pq
from safetensors.numpy import load_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", required=True)
ap.add_argument("--probes", required=True, help="probe-dims output with pair rows")
ap.add_argument("--readout", default="cls")
ap.add_argument("--layer", type=int, required=True)
ap.add_argument("--sample", type=int, default=200)
args = ap.parse_args()

data = {s: load_file(f"{args.hidden}/{s}.safetensors") for s in ["train", "dev", "test"]}
x = {s: t[args.readout][:, args.layer, :].astype(np.float64) for s, t in data.items()}
y = {s: t["label"] for s, t in data.items()}
scaler = StandardScaler().fit(x["train"])
x = {s: scaler.transform(v) for s, v in x.items()}
h = x["train"].shape[1]
rng = np.random.default_rng(0)
pairs = set()
while len(pairs) < args.sample:
    i, j = sorted(rng.choice(h, 2, replace=False))
    pairs.add((int(i), int(j)))
pairs = sorted(pairs)

dev_acc = {}
start = time.perf_counter()
for i, j in pairs:
    clf = LogisticRegression(C=1.0).fit(x["train"][:, [i, j]], y["train"])
    dev_acc[(i, j)] = float(np.mean(clf.predict(x["dev"][:, [i, j]]) == y["dev"]))
    clf.predict(x["test"][:, [i, j]])
per_probe = (time.perf_counter() - start) / len(pairs)

t = pq.read_table(args.probes).to_pydict()
ours = {}
for k in range(len(t["dims"])):
    if t["method"][k] == "pair" and t["metric"][k] == "accuracy" and t["readout"][k] == args.readout and t["layer"][k] == args.layer:
        ours[tuple(t["dims"][k])] = t["dev"][k]
diffs = [abs(ours[p] - dev_acc[p]) for p in pairs if p in ours]
print(json.dumps({
    "sklearn_per_probe_s": per_probe,
    "sampled_pairs": len(pairs),
    "n_train": int(x["train"].shape[0]),
    "hidden": h,
    "compared": len(diffs),
    "mean_abs_dev_acc_diff": float(np.mean(diffs)) if diffs else None,
    "max_abs_dev_acc_diff": float(np.max(diffs)) if diffs else None,
}))
