#!/usr/bin/env python3
"""Checks that two runs of the main job gave the same numbers (e.g. old vs new binaries).

    scripts/compare_outputs.sh A B [--tol X]

A and B are checkout roots holding runs/, probes/, reports/<name>/ and optionally hidden/.
Compared: run.json result fields, every parquet under runs/ and probes/ (row for row), the
report CSVs (cell by cell), REPORT.md's claims section (line by line) and, when both trees have
hidden/, the hidden-state tensors (bitwise). Any other file only has to exist on both sides.
Prints one line per file (`same` or `DIFF: ...`), then `compare: N files, M differ`; exits 1
when any differ. NaN == NaN == null everywhere; --tol X lets floats differ by up to X.
"""
import argparse
import csv
import fnmatch
import json
import math
import os
import re
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# run.json: every top-level key but RUN_IGNORE must match (task, kind, metrics, label_names,
# num_train/dev/test, layer_index, dims_resolved, best_epoch, final, seed, and any new key), except
# that ONE_SIDE_OK keys may be on one side only (e.g. a format version the new binaries add);
# `config` is compared in CONFIG_KEYS only (the rest is paths, device and CLI switches).
CONFIG_KEYS = ["readout", "head", "freeze", "hyper", "max_train"]
RUN_IGNORE = {"config", "git_revision", "backend", "device", "timings"}
ONE_SIDE_OK = {"format"}
# Path components (fnmatch) skipped everywhere: unfinished run dirs, make's flag and settings
# stamps (and their temp files), atomic-write and report staging leftovers.
IGNORE_PARTS = ["*.partial", ".*.flags", ".settings", "*.tmp", "*.new", ".*.tmp.*", ".*.old.*",
                ".gitkeep", "__pycache__"]
TOPS = ["runs", "probes", "reports", "hidden"]
SHOW = 3  # differences shown per file
TOL = 0.0
ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
             "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


# ---- values ---------------------------------------------------------------------------------
def same(a, b):
    """Scalars equal: NaN == NaN == null, floats within TOL, everything else exactly."""
    x, y = (math.nan if v is None else v for v in (a, b))
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y)):
        return a == b
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or (isinstance(x, float) or isinstance(y, float)) and abs(x - y) <= TOL


def diff(a, b, path=""):
    """Differences between two JSON values, as `path: a != b` strings."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k in a and k in b:
                out += diff(a[k], b[k], f"{path}.{k}")
            else:
                out.append(f"{path}.{k}: only in {'A' if k in a else 'B'}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if same(a, b) else [f"{path}: {a!r} != {b!r}"]


def scrub(v, root):
    """v with the tree's own absolute root in strings replaced by `<root>`."""
    if isinstance(v, dict):
        return {k: scrub(x, root) for k, x in v.items()}
    if isinstance(v, list):
        return [scrub(x, root) for x in v]
    return v.replace(root, "<root>") if isinstance(v, str) else v


def load_json(path, root):
    with open(path, encoding="utf-8") as f:
        return scrub(json.load(f), root)


# ---- comparators: each returns (differences, warnings) ---------------------------------------
def cmp_run(a, b, ra, rb):
    ja, jb = load_json(a, ra), load_json(b, rb)
    out = []
    for k in sorted((set(ja) | set(jb)) - RUN_IGNORE):
        if k in ja and k in jb:
            out += diff(ja[k], jb[k], k)
        elif k not in ONE_SIDE_OK:
            out.append(f"{k}: only in {'A' if k in ja else 'B'}")
    ca, cb = ja.get("config", {}), jb.get("config", {})
    for k in CONFIG_KEYS:
        out += diff(ca.get(k), cb.get(k), f"config.{k}")
    return out, []


def eq_float(x, y, tol):
    return (x == y) | (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= tol)


def rows_differ(a, b):
    """Boolean mask of the rows where Arrow arrays a and b differ (lists element by element)."""
    is_list = lambda t: pa.types.is_list(t) or pa.types.is_large_list(t)
    is_num = lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)
    is_float = pa.types.is_floating(a.type) or pa.types.is_floating(b.type)
    if is_list(a.type) and is_list(b.type):
        la, lb = (pc.list_value_length(x).to_numpy(zero_copy_only=False).astype(float) for x in (a, b))
        bad = ~eq_float(la, lb, 0)
        if not bad.any():  # same lengths: compare the flattened values, map them back to rows
            owner = np.repeat(np.arange(len(a)), np.nan_to_num(la).astype(np.int64))
            bad[owner[rows_differ(pc.list_flatten(a), pc.list_flatten(b))]] = True
        return bad
    if is_num(a.type) and is_num(b.type) and is_float:  # NaN-aware, within TOL
        x, y = (pc.cast(v, pa.float64(), safe=False).to_numpy(zero_copy_only=False) for v in (a, b))
        return ~eq_float(x, y, TOL)
    try:  # integers, strings, bools, ...: Arrow's exact equality, null == null
        eq = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
        return ~eq.to_numpy(zero_copy_only=False)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return np.array([bool(diff(u, v)) for u, v in zip(a.to_pylist(), b.to_pylist())], dtype=bool)


def settings(path, root):
    s = (pq.read_metadata(path).metadata or {}).get(b"settings")
    return None if s is None else scrub(json.loads(s), root)


def cmp_parquet(a, b, ra, rb):
    ta, tb = pq.read_table(a), pq.read_table(b)
    warn = [f"settings metadata: {d}" for d in diff(settings(a, ra), settings(b, rb), "")[:SHOW]]
    if ta.column_names != tb.column_names:
        return [f"columns {ta.column_names} != {tb.column_names}"], warn
    if ta.num_rows != tb.num_rows:
        return [f"{ta.num_rows} rows != {tb.num_rows}"], warn
    out, per_col, bad = [], [], np.zeros(ta.num_rows, dtype=bool)
    for name in ta.column_names:
        ca, cb = ta[name].combine_chunks(), tb[name].combine_chunks()
        if ca.type != cb.type:
            out.append(f"column {name}: type {ca.type} != {cb.type}")
        m = rows_differ(ca, cb)
        if m.any():
            per_col.append(f"{name} {int(m.sum())}")
            bad |= m
    if bad.any():
        out.append(f"{int(bad.sum())} of {len(bad)} rows differ (by column: {', '.join(per_col)})")
    # The first differing rows, named by their non-float columns (layer, readout, dims, ...).
    keys = [f.name for f in ta.schema if not pa.types.is_floating(f.type)]
    for i in map(int, np.flatnonzero(bad)[:SHOW]):
        x, y = ta.slice(i, 1).to_pylist()[0], tb.slice(i, 1).to_pylist()[0]
        key = ", ".join(f"{k}={x[k]}" for k in keys)
        cells = ", ".join(f"{k} {x[k]!r} != {y[k]!r}" for k in x if diff(x[k], y[k]))
        out.append(f"row {i} ({key}): {cells}")
    return out, warn


def cell(s):
    """A CSV cell as a float where it parses as one ("NaN" too), else the text."""
    try:
        return float(s)
    except ValueError:
        return s


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def cmp_csv(a, b, ra, rb):
    (xa, xb), out = (read_csv(p) for p in (a, b)), []
    if len(xa) != len(xb):
        out.append(f"{len(xa)} rows != {len(xb)}")
    head = xa[0] if xa else []
    for i, (u, v) in enumerate(zip(xa, xb)):
        if len(u) != len(v):
            out.append(f"row {i}: {len(u)} cells != {len(v)}")
            continue
        out += [f"row {i} {head[j] if j < len(head) else j}: {p!r} != {q!r}"
                for j, (p, q) in enumerate(zip(u, v)) if not same(cell(p), cell(q))]
    return out, []


def claims(path):
    """The lines of REPORT.md from `## The paper's claims` up to the next `## `, or None."""
    with open(path, encoding="utf-8") as f:
        m = re.search(r"^## The paper's claims.*?(?=^## |\Z)", f.read(), re.S | re.M)
    return m.group(0).splitlines() if m else None


def cmp_claims(a, b, ra, rb):
    la, lb = claims(a), claims(b)
    if la is None or lb is None:
        return ([] if la == lb else ["claims section only in " + ("A" if lb is None else "B")]), []
    out = [f"claims line {i + 1}: {x!r} != {y!r}" for i, (x, y) in enumerate(zip(la, lb)) if x != y]
    return out + ([f"claims: {len(la)} lines != {len(lb)}"] if len(la) != len(lb) else []), []


def read_safetensors(path):
    """{name: (dtype, shape, raw bytes)} and __metadata__ of a safetensors file (memory-mapped)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = int(raw[:8].view("<u8")[0])  # 8-byte little-endian header length, then the JSON header
    header = json.loads(bytes(raw[8:8 + n]))
    meta, base = header.pop("__metadata__", {}), 8 + n
    return {k: (v["dtype"], v["shape"], raw[base + v["data_offsets"][0]:base + v["data_offsets"][1]])
            for k, v in header.items()}, meta


def values(dtype, buf):
    if dtype == "BF16":  # no numpy dtype: the top half of an f32
        return (buf.view("<u2").astype("<u4") << 16).view("<f4")
    return buf.view(ST_DTYPES[dtype])


def cmp_safetensors(a, b, ra, rb):
    (ta, ma), (tb, mb) = read_safetensors(a), read_safetensors(b)
    out = [f"tensor {k}: only in {'A' if k in ta else 'B'}" for k in sorted(set(ta) ^ set(tb))]
    for k in sorted(set(ta) & set(tb)):
        (da, sa, xa), (db, sb, xb) = ta[k], tb[k]
        if (da, sa) != (db, sb):
            out.append(f"tensor {k}: {da}{sa} != {db}{sb}")
        elif not np.array_equal(xa, xb):  # not bitwise equal: how far apart?
            x, y = (values(da, v).astype(np.float64) for v in (xa, xb))
            d = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
            d = np.where(np.isnan(d), np.inf, d)  # NaN on one side only
            if d.max() > TOL or da not in ("F64", "F32", "F16", "BF16"):
                out.append(f"tensor {k}: {int((d > 0).sum())} of {d.size} values differ, "
                           f"max abs diff {d.max():.3g}")
    warn = [f"__metadata__: {m}" for m in diff(scrub(ma, ra), scrub(mb, rb), "")[:SHOW]]
    return out, warn


def comparator(rel):
    """The comparator for a relative path, or None: the file only has to exist on both sides."""
    parts = rel.split("/")
    top, name, report = parts[0], parts[-1], parts[0] == "reports" and len(parts) == 3
    return (cmp_run if top == "runs" and name == "run.json"
            else cmp_parquet if top in ("runs", "probes") and name.endswith(".parquet")
            else cmp_csv if report and name.endswith(".csv")
            else cmp_claims if report and name == "REPORT.md"
            else cmp_safetensors if top == "hidden" and name.endswith(".safetensors")
            else None)


def outputs(root, tops):
    """Relative paths (with /) of every file under root/<top>, skipping IGNORE_PARTS."""
    skip = lambda n: any(fnmatch.fnmatch(n, p) for p in IGNORE_PARTS)
    found = set()
    for top in tops:
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if not skip(x)]
            rel = os.path.relpath(d, root).replace(os.sep, "/")
            found |= {f"{rel}/{n}" for n in names if not skip(n)}
    return found


def main():
    global TOL
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", help="tree A (a checkout root with runs/, probes/, reports/)")
    ap.add_argument("b", help="tree B")
    ap.add_argument("--tol", type=float, default=0.0, help="allowed abs diff of floats (default 0)")
    args = ap.parse_args()
    TOL = args.tol
    ra, rb = (os.path.realpath(r) for r in (args.a, args.b))
    if not all(os.path.isdir(r) for r in (ra, rb)):
        sys.exit(f"compare: {args.a} and {args.b} must both be folders")
    tops = [t for t in TOPS if t != "hidden" or all(os.path.isdir(f"{r}/hidden") for r in (ra, rb))]
    if "hidden" not in tops and any(os.path.isdir(f"{r}/hidden") for r in (ra, rb)):
        print("hidden/: in one tree only, not compared")
    fa, fb = outputs(ra, tops), outputs(rb, tops)
    n = bad = presence_only = 0
    for rel in sorted(fa | fb):
        cmp = comparator(rel)
        if rel in fa and rel in fb and cmp is None:
            presence_only += 1
            continue
        n += 1
        if rel not in fa or rel not in fb:
            diffs, warns = [f"only in {'A' if rel in fa else 'B'}"], []
        else:
            try:
                diffs, warns = cmp(f"{ra}/{rel}", f"{rb}/{rel}", ra, rb)
            except Exception as e:  # unreadable or off-contract: a difference, not a crash
                diffs, warns = [f"cannot compare: {type(e).__name__}: {e}"], []
        more = f" (+{len(diffs) - SHOW} more)" if len(diffs) > SHOW else ""
        print(f"{rel}: " + (f"DIFF: {'; '.join(diffs[:SHOW])}{more}" if diffs else "same"))
        for w in warns:
            print(f"{rel}: warning: {w}")
        bad += bool(diffs)
    if n == 0:
        sys.exit(f"compare: no outputs found under {ra} or {rb} ({', '.join(tops)})")
    print(f"{presence_only} other files present on both sides (contents not compared)")
    print(f"compare: {n} files, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
