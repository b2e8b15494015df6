#!/usr/bin/env python3
"""Synthetic hidden states with the movie task's shape (N 8000/1000/1000, H=384, L=6, cls), for
benchmarking before real features exist. Labels depend on a few dims plus noise."""
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
rng = np.random.default_rng(0)
h, layers = 384, 7
for split, n in [("train", 8000), ("dev", 1000), ("test", 1000)]:
    x = rng.normal(size=(n, layers, h)).astype(np.float32)
    score = x[:, :, 3] + 0.5 * x[:, :, 17] + rng.normal(size=(n, layers)) * 0.8
    y = (score[:, -1] > 0).astype(np.int64)
    meta = {"model": "synthetic", "task": "movie-shaped", "split": split, "readouts": "cls",
            "num_layers": str(layers - 1), "hidden_size": str(h), "kind": "classification",
            "metrics": "accuracy", "label_names": json.dumps(["neg", "pos"]), "source": "bench/probe/synthetic.py"}
    save_file({"cls": x, "label": y, "idx": np.arange(n, dtype=np.uint32)}, f"{folder}/{split}.safetensors", metadata=meta)
