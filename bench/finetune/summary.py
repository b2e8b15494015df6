"""Summary of bench/finetune/run.sh: mean ± sd per implementation, and the two throughput ratios."""
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows: by.setdefault(r["impl"], []).append(r)
for impl, rs in by.items():
    d = [r["dev_accuracy"] for r in rs]; t = [r["test_accuracy"] for r in rs]; s = [r["train_examples_per_second"] for r in rs]
    sd = lambda x: st.stdev(x) if len(x) > 1 else 0.0
    print(f"{impl:<16} dev {st.mean(d):.4f} ± {sd(d):.4f}  test {st.mean(t):.4f} ± {sd(t):.4f}  "
          f"{st.mean(s):6.1f} train ex/s  peak RSS {max(r['peak_rss_mib'] for r in rs):.0f} MiB  ({len(rs)} seeds)")
speed = lambda i: st.mean(r["train_examples_per_second"] for r in by[i])
for ours, peer, what in [(i, "transformers", "like-for-like") for i in by if i.startswith("fewdims-") and i != "fewdims-defaults"] + \
        [("fewdims-defaults", "transformers-Trainer-defaults", "defaults vs defaults")]:
    if ours in by and peer in by:
        gap = 100 * (st.mean(r["dev_accuracy"] for r in by[ours]) - st.mean(r["dev_accuracy"] for r in by[peer]))
        print(f"{what}: {ours} / {peer} throughput {speed(ours) / speed(peer):.2f}x;  dev accuracy gap {gap:+.2f} points")
