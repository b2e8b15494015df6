#!/usr/bin/env python3
"""Reference probes from scikit-learn, for fewdims-probe's comparison test.

Reads a hidden-state folder (train/dev/test.safetensors, the fewdims contract) and, per chosen
readout and layer (default: the top layer, cls and mean), fits on StandardScaler'd train features:
the full vector, 3 single dims and the 3 pairs among them (the train's top dims by F statistic).
The family is fewdims's: one-vs-rest L2 logistic regression, OneVsRestClassifier(LogisticRegression(C)),
which for a binary task is one LogisticRegression. For 3+ classes it also records the multinomial
fit (LogisticRegression alone), so the test can check that the two families are far apart.
It writes a JSON fixture with dev/test accuracies, coefficients (standardized units, intercept
first, one row per model), the settings, the constant dims, and the sha256 of the features each
probe read (per readout, layer and split: the [N, H] slice as little-endian f32, row-major; the
files' own sha256 would also cover their metadata, which names local paths). The Rust tests
(crates/fewdims-probe/tests/it/sklearn.rs; for real features, crates/fewdims-cli/tests/it/
probe_sklearn.rs, which makes them first) refit with fewdims and compare.

  make_fixture.py --hidden hidden/pretrained/movie --out crates/fewdims-probe/tests/fixtures/sklearn_movie.json
  make_fixture.py --synthetic DIR --classes 3 --out FIXTURE   # first writes synthetic hidden files to DIR
"""
import argparse
import hashlib
import itertools
import json
import os
import re
import sys

import numpy as np
import sklearn
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
from sklearn.feature_selection import f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

C = 1.0
MAX_ITER = 20000
TOL = 1e-8
TOP_DIMS = 3


def features_sha256(x):
    """sha256 of an [N, H] slice as row-major little-endian f32 (what fewdims hashes too)."""
    return hashlib.sha256(np.ascontiguousarray(x, dtype="<f4").tobytes()).hexdigest()


def save_split(folder, split, tensors, labels, n, layers, h, names):
    tensors["label"] = labels.astype(np.int64)
    tensors["idx"] = np.arange(n, dtype=np.uint32)
    meta = {
        "model": "synthetic", "task": f"synthetic{len(names)}" if len(names) > 2 else "synthetic",
        "split": split, "readouts": "cls,mean", "num_layers": str(layers - 1), "hidden_size": str(h),
        "kind": "classification", "metrics": "accuracy", "label_names": json.dumps(names),
        "source": "scripts/probe_reference/make_fixture.py --synthetic",
    }
    path = os.path.join(folder, f"{split}.safetensors")
    # safetensors writes metadata in hash order: keep a file that already holds the same data,
    # so its mtime and bytes stay put across runs.
    if os.path.exists(path):
        old, old_meta = load(path)
        if old_meta == meta and old.keys() == tensors.keys() and all(
            old[k].dtype == v.dtype and np.array_equal(old[k], v) for k, v in tensors.items()
        ):
            return
    save_file(tensors, path, metadata=meta)


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
        save_split(folder, split, tensors, y, n, layers, h, ["neg", "pos"])


def write_synthetic3(folder, seed=1):
    """3 unbalanced classes, 2 layers, H=12. Dims 0 and 1 order the classes along a line, where
    one-vs-rest and multinomial fits differ most (the middle class is masked); dim 2 splits them
    otherwise; the rest carry weak random class means."""
    rng = np.random.default_rng(seed)
    h, layers = 12, 2
    means = rng.normal(size=(layers, 3, h)) * 0.5
    means[:, :, 0] = [-1.2, 0.0, 1.2]
    means[:, :, 1] = [-0.6, 0.0, 0.6]
    means[:, :, 2] = [0.8, -0.8, 0.3]
    scale = np.linspace(0.5, 3.0, h)
    os.makedirs(folder, exist_ok=True)
    for split, n in [("train", 600), ("dev", 300), ("test", 300)]:
        y = rng.choice(3, size=n, p=[0.45, 0.35, 0.20])
        tensors = {}
        for i, readout in enumerate(["cls", "mean"]):
            x = rng.normal(size=(n, layers, h)) + means[:, y].transpose(1, 0, 2) * (1 + 0.5 * i)
            tensors[readout] = (x * scale + 1.5).astype(np.float32)
        save_split(folder, split, tensors, y, n, layers, h, ["a", "b", "c"])


def load(path):
    with safe_open(path, "np") as f:
        meta = f.metadata()
    return load_file(path), meta


def coefficients(model):
    """[[intercept, w...] per model]: one row for binary, one per class for one-vs-rest and
    multinomial alike."""
    if isinstance(model, OneVsRestClassifier):
        models = model.estimators_
        rows = [np.concatenate([e.intercept_, e.coef_[0]]) for e in models]
    else:
        rows = [np.concatenate([[b], w]) for b, w in zip(model.intercept_, model.coef_)]
    return [[float(v) for v in r] for r in rows]


def probe(xs, ys, dims, classes):
    """One probe on `dims` (None: all) of standardized features; its row of the fixture."""
    pick = (lambda x: x) if dims is None else (lambda x: x[:, dims])
    base = LogisticRegression(C=C, max_iter=MAX_ITER, tol=TOL)
    families = {"ovr": OneVsRestClassifier(base)}
    if classes > 2:
        families["multinomial"] = LogisticRegression(C=C, max_iter=MAX_ITER, tol=TOL)
    row = {} if dims is None else {"dims": [int(d) for d in dims]}
    for name, model in families.items():
        model.fit(pick(xs["train"]), ys["train"])
        out = row if name == "ovr" else row.setdefault(name, {})
        for split in ["train", "dev", "test"]:
            out[f"{split}_accuracy"] = float(np.mean(model.predict(pick(xs[split])) == ys[split]))
        out["coef"] = coefficients(model)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", help="folder with train/dev/test.safetensors")
    ap.add_argument("--synthetic", help="write synthetic hidden files here first and use them")
    ap.add_argument("--classes", type=int, default=2, choices=[2, 3], help="classes of --synthetic")
    ap.add_argument("--out", required=True)
    ap.add_argument("--readouts", default="cls,mean")
    ap.add_argument("--layers", default="-1", help="comma-separated layer indices (negative: from the top)")
    ap.add_argument("--root", default=".", help="repository root; paths in the fixture are relative to it")
    args = ap.parse_args()
    folder = args.synthetic or args.hidden
    if not folder:
        sys.exit("give --hidden DIR or --synthetic DIR")
    if args.synthetic:
        (write_synthetic3 if args.classes == 3 else write_synthetic)(folder)
    files = {s: os.path.join(folder, f"{s}.safetensors") for s in ["train", "dev", "test"]}
    data = {s: load(p) for s, p in files.items()}
    n_layers = int(data["train"][1]["num_layers"]) + 1
    layers = sorted({int(v) % n_layers for v in args.layers.split(",")})
    # Unlabelled items (class -1) are dropped, as fewdims does.
    keep = {s: t["label"] >= 0 for s, (t, _) in data.items()}
    ys = {s: t["label"][keep[s]] for s, (t, _) in data.items()}
    classes = int(max(len(json.loads(data["train"][1].get("label_names", "[]"))), ys["train"].max() + 1, 2))
    full, singles, pairs, constant, features = [], [], [], [], []
    for readout in args.readouts.split(","):
        for layer in layers:
            raw = {s: t[readout][keep[s], layer, :].astype(np.float64) for s, (t, _) in data.items()}
            scaler = StandardScaler().fit(raw["train"])
            # fewdims's rule for constant dims: a train variance at or below 1e-12 (1 + mean^2) is
            # float noise (the pretrained MiniLM's top-layer CLS has dims of ~1e-32), centred but
            # not scaled. StandardScaler alone would blow that noise up to unit variance, and the
            # two fits would then read different features.
            const = ~(scaler.var_ > 1e-12 * (1.0 + scaler.mean_**2))
            scaler.scale_[const] = 1.0
            xs = {s: scaler.transform(x) for s, x in raw.items()}
            f_stat = np.nan_to_num(f_classif(xs["train"], ys["train"])[0], nan=-1.0)
            top = sorted(int(d) for d in np.argsort(-f_stat, kind="stable")[:TOP_DIMS])
            at = {"readout": readout, "layer": layer}
            for s, (t, _) in data.items():
                features.append({**at, "split": s, "sha256": features_sha256(t[readout][:, layer, :])})
            constant.append({**at, "dims": [int(d) for d in np.flatnonzero(const)]})
            full.append({**at, **probe(xs, ys, None, classes)})
            singles += [{**at, **probe(xs, ys, [d], classes)} for d in top]
            pairs += [{**at, **probe(xs, ys, list(p), classes)} for p in itertools.combinations(top, 2)]
            r = full[-1]
            print(f"{readout} layer {layer}: full dev {r['dev_accuracy']:.4f} test {r['test_accuracy']:.4f}; "
                  f"singles/pairs of dims {top}")
    fixture = {
        "generated_by": "scripts/probe_reference/make_fixture.py",
        "synthetic": bool(args.synthetic),
        "hidden_dir": os.path.relpath(folder, args.root),
        "features": features,
        "classes": classes,
        "settings": {
            "C": C, "solver": "lbfgs",
            "standardize": "StandardScaler fit on train (ddof 0); a dim with train variance <= "
                           "1e-12 (1 + mean^2) is centred, not scaled (fewdims's rule)",
            "penalty": "l2, intercept unpenalized", "max_iter": MAX_ITER, "tol": TOL,
            "family": "one-vs-rest: OneVsRestClassifier(LogisticRegression(C)); binary: one model",
            "dims": f"singles: the train's top {TOP_DIMS} dims by F statistic; pairs: the pairs among them",
        },
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
        "constant_dims": constant,
        "probes": full,
        "singles": singles,
        "pairs": pairs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        # Lists of numbers on one line each, the rest indented.
        text = json.dumps(fixture, indent=2)
        f.write(re.sub(r"\[[^\[\]{}\"]*\]", lambda m: "[" + " ".join(m.group(0)[1:-1].split()) + "]", text))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
