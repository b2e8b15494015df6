"""Writes the user-data samples that crates/fewdims-cli/tests/it/samples.rs takes through prepare,
tokenize and one fine-tune: the files a new user brings, made the way they are usually made.

- imdb_like.csv: a review CSV as pandas writes it (the Kaggle IMDb layout: review, sentiment):
  quoted commas, doubled quotes, `<br />`, a line break inside a review, non-ASCII text.
- ag_news_like.jsonl: a pandas JSON Lines export (id, title, description, label as the class
  name): pandas escapes `/` (`Sci\\/Tech`) and non-ASCII (`\\u00e9`).
- cb_like/default/: a `datasets` parquet export of a CommitmentBank-like pair task: train in two
  shards, validation, and a test split with hidden labels (-1), the ClassLabel names in the
  `huggingface` schema metadata, in an order that is not alphabetical.

Deterministic (a fixed seed, the pinned package set of run.sh). Usage: make_samples.py [OUT_DIR]
"""

import json
import random
import sys
from pathlib import Path

import datasets
import pandas as pd

rng = random.Random(17)

GOOD = ["a delight", "warm, funny and wise", "the best film of the year", "moving", "a gem"]
BAD = ["a bore", "slow, loud and long", "the worst sequel yet", "flat", "a mess"]
NOUNS = ["plot", "cast", "score", "script", "ending", "café scene", "pacing"]


def review(positive: bool, i: int) -> str:
    words = GOOD if positive else BAD
    parts = [
        f"Review {i}: the {rng.choice(NOUNS)} is {rng.choice(words)}.",
        f'My friend called it "{rng.choice(words)}", and I agree.',
    ]
    if i % 7 == 0:
        parts.append("<br /><br />Seen twice — once in 35mm.")
    if i % 23 == 0:
        parts.append("Second paragraph,\nafter a line break.")
    return " ".join(parts)


def imdb_like(out: Path) -> None:
    rows = [
        {"review": review(i % 2 == 0, i), "sentiment": "positive" if i % 2 == 0 else "negative"}
        for i in range(160)
    ]
    pd.DataFrame(rows).to_csv(out / "imdb_like.csv", index=False)


AG = ["World", "Sports", "Business", "Sci/Tech"]
AG_WORDS = {
    "World": ["talks", "election", "summit", "ceasefire"],
    "Sports": ["match", "league", "coach", "final"],
    "Business": ["shares", "profit", "merger", "market"],
    "Sci/Tech": ["software", "space", "chip", "internet"],
}


def ag_news_like(out: Path) -> None:
    rows = []
    for i in range(160):
        label = AG[i % 4]
        w = AG_WORDS[label]
        rows.append(
            {
                "id": 1000 + i,
                "title": f"{rng.choice(w).title()} news {i}",
                "description": f"Reuters - The {rng.choice(w)} and the {rng.choice(w)} "
                f"made headlines in Zürich on day {i}.",
                "label": label,
            }
        )
    pd.DataFrame(rows).to_json(out / "ag_news_like.jsonl", orient="records", lines=True)


CB = ["entailment", "contradiction", "neutral"]


def cb_split(n: int, start: int, hidden: bool) -> datasets.Dataset:
    features = datasets.Features(
        {
            "premise": datasets.Value("string"),
            "hypothesis": datasets.Value("string"),
            "label": datasets.ClassLabel(names=CB),
            "idx": datasets.Value("int32"),
        }
    )
    rows = {"premise": [], "hypothesis": [], "label": [], "idx": []}
    for i in range(start, start + n):
        who = rng.choice(["Ann", "Bo", "Cy", "Di"])
        rows["premise"].append(f"{who} said that the {rng.choice(NOUNS)} of item {i} was new.")
        rows["hypothesis"].append(f"The {rng.choice(NOUNS)} was {rng.choice(['new', 'old', 'there'])}.")
        rows["label"].append(-1 if hidden else i % 3)
        rows["idx"].append(i - start)
    return datasets.Dataset.from_dict(rows, features=features)


def cb_like(out: Path) -> None:
    folder = out / "cb_like" / "default"
    folder.mkdir(parents=True, exist_ok=True)
    train = cb_split(120, 0, hidden=False)
    for k in range(2):
        shard = train.shard(num_shards=2, index=k, contiguous=True)
        shard.to_parquet(str(folder / f"train-{k:05d}-of-00002.parquet"))
    cb_split(30, 500, hidden=False).to_parquet(str(folder / "validation-00000-of-00001.parquet"))
    cb_split(30, 900, hidden=True).to_parquet(str(folder / "test-00000-of-00001.parquet"))


def main() -> None:
    default = Path(__file__).resolve().parents[2] / "crates/fewdims-cli/tests/fixtures/user_data"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)
    datasets.disable_progress_bars()
    imdb_like(out)
    ag_news_like(out)
    cb_like(out)
    manifest = {
        "datasets": datasets.__version__,
        "pandas": pd.__version__,
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "versions.json"),
    }
    (out / "versions.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
