#!/usr/bin/env python3
"""Reference probe accuracies from scikit-learn, for fewdims-probe's comparison test.

Reads a hidden-state folder (train/dev/test.safetensors, the fewdims contract), fits
scikit-learn's LogisticRegression on StandardScaler'd features of the chosen readouts at one
layer (default: the top layer, cls and mean), and writes a small JSON fixture with the dev/test
accuracies, the settings and the sha256 of each file. The Rust test
(crates/fewdims-probe/tests/it/sklearn.rs) refits with fewdims and checks it is within 1 point.

  make_fixture.py --hidden hidden/pretrained/movie --out crates/fewdims-probe/tests/fixtures/sklearn_movie.json
  make_fixture.py --synthetic DIR --out FIXTURE   # first writes small synthetic hidden files to DIR
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import sklearn
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

C = 1.0
MAX_ITER = 20000
TOL = 1e-8


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_synthetic(folder, seed=0):
    """Small fake hidden states in the fewdims layout: 2 layers, H=16, a noisy low-rank signal."""
    rng = np.random.default_rng(seed)
    h, layers = 16, 2
    direction = rng.normal(size=(layers, h))
    os.makedirs(folder, exist_ok=True)
    for split, n in [("train", 500), ("dev", 200), ("test", 200)]:
        y = rng.integers(0, 2, size=n)
        signal = (2 * y - 1)[:, None, None] * direction[None] * 0.35
        tensors = {}
        for i, readout in enumerate(["cls", "mean"]):
            scale = np.linspace(0.5, 3.0, h)[None, None, :]
            x = rng.normal(size=(n, layers, h)) * scale + signal * (1 + i) + 1.5
            tensors[readout] = x.astype(np.float32)
        tensors["label"] = y.astype(np.int64)
        tensors["idx"] = np.arange(n, dtype=np.uint32)
        meta = {
            "model": "synthetic", "task": "synthetic", "split": split, "readouts": "cls,mean",
            "num_layers": str(layers - 1), "hidden_size": str(h), "kind": "classification",
            "metrics": "accuracy", "label_names": json.dumps(["neg", "pos"]),
            "source": "scripts/probe_reference/make_fixture.py --synthetic",
        }
        save_file(tensors, os.path.join(folder, f"{split}.safetensors"), metadata=meta)


def load(path):
    with safe_open(path, "np") as f:
        meta = f.metadata()
    return load_file(path), meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", help="folder with train/dev/test.safetensors")
    ap.add_argument("--synthetic", help="write synthetic hidden files here first and use them")
    ap.add_argument("--out", required=True)
    ap.add_argument("--readouts", default="cls,mean")
    ap.add_argument("--layer", type=int, default=-1, help="layer index (negative: from the top)")
    ap.add_argument("--root", default=".", help="repository root; paths in the fixture are relative to it")
    args = ap.parse_args()
    folder = args.synthetic or args.hidden
    if not folder:
        sys.exit("give --hidden DIR or --synthetic DIR")
    if args.synthetic:
        write_synthetic(folder)
    files = {s: os.path.join(folder, f"{s}.safetensors") for s in ["train", "dev", "test"]}
    data = {s: load(p) for s, p in files.items()}
    layers = int(data["train"][1]["num_layers"]) + 1
    layer = args.layer % layers
    probes = []
    for readout in args.readouts.split(","):
        xs = {s: t[readout][:, layer, :].astype(np.float64) for s, (t, _) in data.items()}
        ys = {s: t["label"] for s, (t, _) in data.items()}
        scaler = StandardScaler().fit(xs["train"])
        clf = LogisticRegression(C=C, max_iter=MAX_ITER, tol=TOL).fit(scaler.transform(xs["train"]), ys["train"])
        row = {"readout": readout, "layer": layer, "n_iter": int(np.max(clf.n_iter_))}
        for split in ["train", "dev", "test"]:
            keep = ys[split] >= 0
            pred = clf.predict(scaler.transform(xs[split][keep]))
            row[f"{split}_accuracy"] = float(np.mean(pred == ys[split][keep]))
        probes.append(row)
        print(f"{readout} layer {layer}: dev {row['dev_accuracy']:.4f} test {row['test_accuracy']:.4f}")
    fixture = {
        "generated_by": "scripts/probe_reference/make_fixture.py",
        "synthetic": bool(args.synthetic),
        "hidden_dir": os.path.relpath(folder, args.root),
        "files": {s: sha256(p) for s, p in files.items()},
        "settings": {
            "C": C, "standardize": "StandardScaler fit on train (ddof 0)", "solver": "lbfgs",
            "penalty": "l2, intercept unpenalized", "max_iter": MAX_ITER, "tol": TOL,
        },
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
        "probes": probes,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
