#!/usr/bin/env python3
"""rss.py LABEL -- CMD...: runs CMD, samples the summed RSS and PSS of CMD and all its descendants
every 0.2 s; prints LABEL, peak summed RSS/PSS (MB), the largest single process's peak RSS, wall
seconds, and RSS at each tenth of the run (the shape over time)."""
import os, sys, time, subprocess
label = sys.argv[1]; cmd = sys.argv[sys.argv.index('--') + 1:]
def children():
    kids = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            with open(f'/proc/{p}/stat') as f: ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except Exception: continue
        kids.setdefault(ppid, []).append(int(p))
    return kids
def tree(root):
    kids = children(); out = [root]; i = 0
    while i < len(out):
        out += kids.get(out[i], []); i += 1
    return out
def mem(pid):
    rss = pss = 0
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for l in f:
                if l.startswith('Rss:'): rss = int(l.split()[1])
                elif l.startswith('Pss:'): pss = int(l.split()[1])
    except Exception: pass
    return rss, pss
t0 = time.time(); p = subprocess.Popen(cmd)
peak_rss = peak_pss = peak_one = 0; series = []
while p.poll() is None:
    ms = [mem(q) for q in tree(p.pid)]
    r = sum(m[0] for m in ms); s = sum(m[1] for m in ms); one = max((m[0] for m in ms), default=0)
    peak_rss, peak_pss, peak_one = max(peak_rss, r), max(peak_pss, s), max(peak_one, one)
    series.append(r); time.sleep(0.2)
wall = time.time() - t0
shape = [max(series[int(len(series)*k/10):max(int(len(series)*(k+1)/10), int(len(series)*k/10)+1)] or [0])//1024 for k in range(10)] if series else []
print(f"{label}\trc={p.returncode}\tsum_rss_mb={peak_rss//1024}\tsum_pss_mb={peak_pss//1024}\tmax_one_rss_mb={peak_one//1024}\twall_s={wall:.0f}\tshape_mb={shape}", flush=True)
sys.exit(p.returncode)
