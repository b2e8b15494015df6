#!/usr/bin/env bash
# A real Slurm cluster: a one-node cluster on localhost, a small sweep run through it with
# `make -j N SUBMIT="srun ..."`, the same sweep run locally, and a check that every result is equal.
#   bench/slurm/run.sh
# As root on Debian/Ubuntu: installs `slurm-wlm` and `munge` with apt-get when missing (services
# are not started by the install), writes its own slurm.conf and munge key under a temp folder,
# starts munged, slurmctld and slurmd itself and stops them on any exit, leaving nothing running.
#
# Both sweeps run on one snapshot of the stage binaries ($CARGO_TARGET_DIR/debug, copied, so a
# build elsewhere cannot change them midway) in two fresh trees (Makefile, pipelines/, scripts/),
# prepare untimed, then tokenize -> finetune -> extract-hidden -> probe-dims / controls / CKA timed.
# Checks: scripts/compare_outputs.sh LOCAL SLURM (numbers), the sha256 of every output file but
# run.json (timings), and one Slurm job per compute step (jobcomp log).
# Knobs (environment): JOBS (make -j, default 4), SRUN (the SUBMIT prefix), NICE (default 10: the
# sweeps and slurmd run under `nice -n NICE`), FT_MAX_TRAIN (default 64), KEEP=1 (keep the temp
# folder), SLURM_PORT (slurmctld's port, default 16817; slurmd takes the next one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export FEWDIMS_CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
export LIBTORCH="${LIBTORCH:-$FEWDIMS_CACHE/libtorch-2.9.0-cpu}"
SRC_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
JOBS="${JOBS:-4}"
SRUN="${SRUN:-srun -n1 -c1 --mem=2G --quiet}"
NICE="${NICE:-10}"
PORT="${SLURM_PORT:-16817}"
STAGES="embed prepare tokenize finetune extract-hidden probe-dims rep-change cross-finetune report"
DAEMONS="munged slurmctld slurmd slurmstepd"

# The sweep, on SWEEP_TASK: 4 fine-tunes (cls, 2 and 3 random dims, frozen encoder + MLP head),
# hidden states of the pretrained model (3 splits) and of two runs, a probe table, a control
# table, a CKA table and the head ablation: 17 compute jobs. SWEEP_TASK=rev (the default) is the
# committed IMDb-like sample (80 reviews) prepared as your own task, so the sweep takes a minute or
# two on 2 cores; a built-in task (SWEEP_TASK=movie: 8k training rows to extract) takes longer.
ST="${SWEEP_TASK:-rev}"
SWEEP_VARS=(SEEDS=1 "TASK=$ST" "MAIN_TASKS=$ST" "CROSS_FROM=$ST" "PROBE_TASKS=$ST"
  "FT_MAX_TRAIN=${FT_MAX_TRAIN:-64}" EXTRACT_READOUTS=cls PROBE_CONTROLS=1
  "PROBE_FLAGS=--methods full,single --readouts cls --layers -1"
  "CONTROL_FLAGS=--methods full,single --readouts cls --layers -1")
USER_SAMPLE="$ROOT/crates/fewdims-cli/tests/fixtures/user_data/imdb_like.csv"
[ "$ST" = rev ] && SWEEP_VARS+=(USER_TASK=rev USER_FROM=user/imdb_like.csv
  "USER_FLAGS=--text-a review --label sentiment")
TARGETS=(runs/"$ST"/{cls,dims-random2,dims-random3,freeze-all-mlp}-seed1/run.json
  "probes/pretrained/$ST.parquet" "probes/pretrained/$ST-control1.parquet"
  "probes/cka/pretrained_vs_$ST-cls-seed1/$ST/dev.parquet"
  "probes/$ST-dims-random3-seed1/$ST-ablate.parquet")

die() { echo "bench/slurm: $*" >&2; exit 1; }
now() { date +%s.%N; }

[ "$(id -u)" = 0 ] || die "run as root (the cluster runs with SlurmUser=root; apt-get installs it)"

# ---- install ----------------------------------------------------------------------------------
MADE_POLICY=
install_slurm() {
  local b missing=
  for b in munged slurmctld slurmd srun sinfo squeue scancel; do command -v "$b" >/dev/null || missing=1; done
  [ -z "$missing" ] && return 0
  command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and there is no apt-get"
  # Debian's postinst scripts would start munge and slurm with the system's config: forbid it.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    MADE_POLICY=1
  fi
  echo "installing slurm-wlm and munge (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  if [ -n "$MADE_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; MADE_POLICY=; fi
}

# ---- daemons: started here, stopped on any exit -----------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fewdims-slurm.XXXXXX")"
daemon_pids() { local n; for n in $DAEMONS; do pgrep -x "$n" || true; done | sort; }
PIDS_BEFORE="$(daemon_pids)"
MUNGED_PID= CTLD_PID= SLURMD_PID= MAKE_PID=

stop_pid() { # pid name: TERM, then KILL after 15 s
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "bench/slurm: $2 ($pid) ignored SIGTERM: SIGKILL" >&2; kill -KILL "$pid"; }
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i left
  set +e
  [ -n "$MADE_POLICY" ] && rm -f /usr/sbin/policy-rc.d
  if [ -n "$MAKE_PID" ]; then
    echo "bench/slurm: stopping make ($MAKE_PID) and its stages" >&2
    kill -TERM -- "-$MAKE_PID" 2>/dev/null; wait "$MAKE_PID" 2>/dev/null
  fi
  if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    scancel --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
    for i in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  stop_pid "$SLURMD_PID" slurmd
  stop_pid "$CTLD_PID" slurmctld
  stop_pid "$MUNGED_PID" munged
  # slurmstepd outlives slurmd only while a step is still ending: give it a few seconds.
  for i in $(seq 100); do
    left="$(comm -13 <(echo "$PIDS_BEFORE") <(daemon_pids))"
    [ -z "$left" ] && break; sleep 0.1
  done
  if [ -n "$left" ]; then
    echo "bench/slurm: still running after the stop:" >&2; ps -o pid,args -p "$(echo $left | tr ' ' ,)" >&2; rc=1
  else
    echo "daemons stopped: no munged, slurmctld, slurmd or slurmstepd of this run is left"
  fi
  if [ -n "${KEEP:-}" ] || [ "$rc" != 0 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_slurm
echo "slurm: $(slurmctld -V), $(munged --version 2>&1 | head -1)"

start_cluster() {
  local m="$WORK/munge" s="$WORK/cluster" host cpus mem i state
  # munged wants its socket's folder open to all (x), its key readable by root alone.
  mkdir -p "$m" "$s/state" "$s/spool" && chmod 0711 "$WORK" && chmod 0755 "$m" && chmod 0700 "$s"
  head -c 1024 /dev/urandom > "$m/munge.key" && chmod 0400 "$m/munge.key"
  munged -F --socket="$m/munge.socket" --key-file="$m/munge.key" --pid-file="$m/munged.pid" \
    --seed-file="$m/munged.seed" --log-file="$m/munged.log" > "$m/munged.out" 2>&1 &
  MUNGED_PID=$!
  for i in $(seq 50); do [ -S "$m/munge.socket" ] && break; sleep 0.1; done
  [ -S "$m/munge.socket" ] || die "munged did not start: $(cat "$m/munged.log" 2>/dev/null)"

  # The node as slurmd sees it (CPUs and RealMemory of this machine).
  host="$(hostname -s)"
  cpus="$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')"
  mem="$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
  [ -n "$cpus" ] && [ -n "$mem" ] || die "slurmd -C gave no CPUs/RealMemory: $(slurmd -C 2>&1)"
  cat > "$s/slurm.conf" <<EOF
ClusterName=fewdims
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$m/munge.socket
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
MailProg=/bin/true
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$s/jobcomp.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$s/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" > "$s/slurmctld.out" 2>&1 &
  CTLD_PID=$!
  # Job steps inherit slurmd's priority (PropagatePrioProcess=0): nice it like the local sweep.
  nice -n "$NICE" slurmd -D -f "$SLURM_CONF" > "$s/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  for i in $(seq 300); do
    state="$(sinfo -h -N -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    kill -0 "$CTLD_PID" 2>/dev/null && kill -0 "$SLURMD_PID" 2>/dev/null || break
    sleep 0.2
  done
  if [ "$state" != idle ]; then
    tail -n 20 "$s/slurmctld.log" "$s/slurmd.log" >&2 || true
    die "node $host not idle after 60 s (state: ${state:-none})"
  fi
  echo "cluster up: node $host, CPUs=$cpus RealMemory=${mem}M, $(sinfo -h -o '%P %a %D %T')"
}
start_cluster
# What one job costs Slurm itself: an empty job step, from srun's start to its exit.
SRUN_TRUE=$(for i in 1 2 3 4 5; do
  t0=$(now); $SRUN true; awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f ", b - a }'; done)
echo "srun true, 5 times (s): $SRUN_TRUE"

# ---- the two trees --------------------------------------------------------------------------
# One snapshot of the binaries in a target dir of our own; its build stamp is newer than the
# copied Cargo files, so make never builds (CARGO=true besides).
mkdir -p "$WORK/target/debug"
for b in $STAGES; do
  [ -x "$SRC_TARGET/debug/$b" ] || die "no $SRC_TARGET/debug/$b: build first (make build)"
  cp -p "$SRC_TARGET/debug/$b" "$WORK/target/debug/"
done
touch "$WORK/target/.fewdims-build"
MAKE_ARGS=(--no-print-directory CARGO=true "CARGO_TARGET_DIR=$WORK/target" "${SWEEP_VARS[@]}")
for t in local slurm; do
  mkdir -p "$WORK/$t"
  cp -p "$ROOT/Makefile" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" "$WORK/$t/"
  cp -rp "$ROOT/pipelines" "$ROOT/scripts" "$WORK/$t/"
  mkdir -p "$WORK/$t/user" && cp -p "$USER_SAMPLE" "$WORK/$t/user/"
  # The data inputs, untimed and local (prepare is a light step; it also makes make's fragments).
  make -C "$WORK/$t" "${MAKE_ARGS[@]}" "data/tasks/$ST/train.parquet" > "$WORK/$t/prepare.log" 2>&1 ||
    { tail -n 30 "$WORK/$t/prepare.log" >&2; die "prepare failed in $WORK/$t"; }
done

SWEEP_S=
sweep() { # tree [SUBMIT=...]: sets SWEEP_S (seconds); make's output in TREE/make.log
  local t0 tree=$1; shift
  t0=$(now)
  # In a process group of its own, waited for in the background: a signal to this script runs
  # cleanup at once, which stops make with every stage (and srun) it started.
  setsid nice -n "$NICE" make -C "$WORK/$tree" -j "$JOBS" "${MAKE_ARGS[@]}" "$@" "${TARGETS[@]}" \
    < /dev/null > "$WORK/$tree/make.log" 2>&1 &
  MAKE_PID=$!
  if ! wait "$MAKE_PID"; then
    MAKE_PID=
    tail -n 40 "$WORK/$tree/make.log" >&2
    die "the $tree sweep failed (log: $WORK/$tree/make.log)"
  fi
  MAKE_PID=
  SWEEP_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
}
echo "sweep: make -j $JOBS ${TARGETS[*]}"
echo "  with ${SWEEP_VARS[*]}"
sweep slurm "SUBMIT=$SRUN"
SLURM_S=$SWEEP_S
echo "slurm sweep (SUBMIT=\"$SRUN\"): ${SLURM_S} s"
sweep local
LOCAL_S=$SWEEP_S
echo "local sweep: ${LOCAL_S} s"

# ---- what srun ran --------------------------------------------------------------------------
JOBLOG="$WORK/cluster/jobcomp.log"
for i in $(seq 50); do [ -z "$(squeue -h)" ] && break; sleep 0.1; done
SRUN_LINES=$(grep -c "^${SRUN%% *} " "$WORK/slurm/make.log" || true)
LOCAL_LINES=$(grep -c "^$WORK/target/debug/" "$WORK/local/make.log" || true)
JOBS_DONE=$(grep -v ' Name=true ' "$JOBLOG" | grep -c 'JobState=COMPLETED' || true)
JOBS_ALL=$(grep -v ' Name=true ' "$JOBLOG" | grep -c 'JobId=' || true)
echo "jobs: make ran $LOCAL_LINES compute commands locally; under Slurm it issued $SRUN_LINES srun commands," \
  "and slurmctld logged $JOBS_ALL jobs ($JOBS_DONE COMPLETED) in $JOBLOG"
# Time inside the jobs (start to end, 1 s resolution) against the sweep's wall time.
python3 - "$JOBLOG" <<'EOF'
import re, sys
from datetime import datetime
spans = []
for line in open(sys.argv[1]):
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    if f.get("Name") == "true":  # the srun latency probe
        continue
    t = lambda k: datetime.strptime(f[k], "%Y-%m-%dT%H:%M:%S")
    spans.append((t("StartTime"), t("EndTime"), f.get("Name", "?")))
if spans:
    busy = sum((e - s).total_seconds() for s, e, _ in spans)
    first, last = min(s for s, _, _ in spans), max(e for _, e, _ in spans)
    print(f"  jobs' run time summed: {busy:.0f} s; first start to last end: {(last - first).total_seconds():.0f} s")
    for s, e, n in sorted(spans):
        print(f"    {s:%H:%M:%S} {(e - s).total_seconds():4.0f} s  {n}")
EOF
[ "$SRUN_LINES" = "$LOCAL_LINES" ] && [ "$JOBS_DONE" = "$SRUN_LINES" ] ||
  die "job counts disagree: $LOCAL_LINES local commands, $SRUN_LINES srun commands, $JOBS_DONE completed jobs"

# ---- every result equal ---------------------------------------------------------------------
FAIL=
"$ROOT/scripts/compare_outputs.sh" "$WORK/local" "$WORK/slurm" > "$WORK/compare.log" 2>&1 || FAIL=1
grep -v ': same$' "$WORK/compare.log" || true
# Byte-identity is checked for every output but run.json (wall-clock timings).
hashes() { # tree -> "sha256  path" for every output but run.json, make's stamps and logs
  (cd "$WORK/$1" && find data runs hidden probes -type f ! -name run.json \
    ! -name '.*' -print0 |
    sort -z | xargs -0 sha256sum)
}
N_FILES=$(hashes local | wc -l)
if diff <(hashes local) <(hashes slurm) > "$WORK/sha256.diff"; then
  echo "sha256: all $N_FILES output files (run.json aside) byte-identical"
else
  echo "sha256: files differ:" >&2; cat "$WORK/sha256.diff" >&2; FAIL=1
fi
[ "$N_FILES" -gt 20 ] || { echo "too few outputs: $N_FILES" >&2; FAIL=1; }
[ -z "$FAIL" ] || die "the Slurm sweep's results differ from the local sweep's"
echo "PASS: $JOBS_DONE srun jobs, every result equal (local ${LOCAL_S} s, Slurm ${SLURM_S} s)"
