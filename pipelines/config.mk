# The knobs: every variable you may set (`make VAR=value`, or in the environment), each defined once,
# here, with its default. Included first by the Makefile; the pipeline files only use them.
# (LIBTORCH_USE_PYTORCH=1, unset by default, takes libtorch from the active Python's torch.)

# ---- where things live ---------------------------------------------------------------------------
# Caches: assets, libtorch, the benches' venvs.
FEWDIMS_CACHE ?= $(HOME)/.cache/fewdims
# Cargo's build folder; the stage binaries are in its debug/ and the generated makefiles in fewdims-make/.
CARGO_TARGET_DIR ?= $(CURDIR)/target
# The libtorch 2.9.0 tree to build against (the default is cut by `make libtorch`).
LIBTORCH ?= $(FEWDIMS_CACHE)/libtorch-2.9.0-cpu
# The cargo command and its flags (one feature set serves `make` and `make test`).
CARGO ?= cargo
CARGO_FLAGS ?= --workspace --all-targets

# ---- model and compute ---------------------------------------------------------------------------
# The model's name (in output paths) and its Hugging Face dir.
MODEL ?= all-MiniLM-L6-v2
MODEL_DIR ?= $(ASSETS)/$(MODEL)
# The backend (tch, flex, wgpu) and device of every compute stage.
BACKEND ?= tch
DEVICE ?= auto
# A command prefix for compute rules, e.g. SUBMIT="srun --gres=gpu:1" on a Slurm cluster.
SUBMIT ?=

# ---- the main job (`make`): what it covers -------------------------------------------------------
# The token-, dims-, layer- and freeze-wise sweeps run on these tasks.
MAIN_TASKS ?= movie tweets
# Cross-finetune starts from CROSS_FROM's cls run and fine-tunes on each of CROSS_TASKS in turn.
# The chain crosses task kinds (sentiment → 5 news topics → 3-class tweet sentiment), so holding
# the first task is not just one task learnt twice. CROSS_TASKS="amazon nyt" is the sentiment chain.
# `make mine` starts it at your task (CROSS_FROM=USER_TASK) and goes on with these.
CROSS_FROM ?= movie
CROSS_TASKS ?= news tweets3
# cross-finetune's extras: re-train the earlier heads on a frozen encoder and re-fit a probe (docs/cross.md).
CROSS_FLAGS ?= --earlier-heads retrain --refit-probe
# Hidden states, probes and CKA are made for these tasks.
PROBE_TASKS ?= movie
# The report's folder name (reports/<name>/) and title.
REPORT_NAME ?= main
REPORT_TITLE ?= fewdims: $(MODEL) on the built-in real-text tasks
# `make paper`: the tasks of the full grid.
PAPER_TASKS ?= movie tweets amazon nyt movie-score tweets3 news
# `make glue`: the folder of your GLUE files, and the tasks swept on them.
GLUE_DIR ?=
GLUE_MAIN ?= sst2 cola mrpc stsb rte
# `make glue`: the tasks cross-fine-tuned after sst2 (a paraphrase, then an entailment task).
GLUE_CROSS ?= mrpc rte
# `make glue`: the folder of its runs, hidden states and probes (its report: reports/glue/).
GLUE_OUT ?= glue
# `make mine`: the name of your own task (docs/data.md, "Your own data"; not a built-in name).
USER_TASK ?=
# `make mine`: its data as one file or a `datasets` export folder (prepare --from; split 80/10/10) ...
USER_FROM ?=
# ... or as one file per split: train (prepare --train) ...
USER_TRAIN ?=
# ... dev, optional (prepare --dev; the splits each combination makes: docs/data.md) ...
USER_DEV ?=
# ... and test, optional (prepare --test).
USER_TEST ?=
# `make mine`: prepare's flags for it: columns and labels, e.g. "--text-a review --label sentiment".
USER_FLAGS ?=
# `make mine`: the folder of its runs, hidden states and probes (its report: reports/mine-<task>/).
USER_OUT ?= mine/$(USER_TASK)

# ---- data (pipelines/data.mk) --------------------------------------------------------------------
# prepare's output root (<task>/<split>.parquet).
TASKS_DIR ?= data/tasks
# tokenize's output root, and its maximum sequence length.
TOK_DIR ?= data/tok/$(MODEL)
MAX_LEN ?= 128

# ---- fine-tuning (pipelines/finetune.mk) ---------------------------------------------------------
# Where runs go: <RUNS_DIR>/<task>/<name>/.
RUNS_DIR ?= runs
# The task of `make sweep*`.
TASK ?= movie
# The seeds: every run is made once per seed of SEEDS (<name>-seed<N>), and the claims pool them;
# with SEEDS empty, once with SEED under its plain name. A random:K run draws its dims per seed.
SEED ?= 42
SEEDS ?= 1 2 3
# Runs no claim rests on get the first seed only: the 1-dim run and layer 0 (the chance baseline).
ONE_SEED_RUNS ?= dims-first1 layer0
# Training size and hyperparameters of every run (the main job's; `make paper` uses full data).
FT_EPOCHS ?= 1
FT_BATCH ?= 16
FT_LR ?= 1e-4
FT_MAX_TRAIN ?= 800
# A resumable checkpoint every N steps besides each epoch's end; a killed run resumes from it.
FT_SAVE_EVERY ?= 50
# The layers of the layer-wise sweep: every other hidden layer from 0 and the last (0 2 4 6 for
# MiniLM; NUM_LAYERS from `embed --print num-layers`), so 3 seeds fit the main job's hour; `make
# paper` sweeps every layer.
LAYERS ?= $(sort $(shell seq 0 2 $(NUM_LAYERS)) $(NUM_LAYERS))

# ---- hidden states (pipelines/extract.mk) --------------------------------------------------------
# Where hidden states go: <HIDDEN_DIR>/<id>/<task>/<split>.safetensors.
HIDDEN_DIR ?= hidden
# extract-hidden's readouts (default: every kind, from `prepare --list --format make`), batch size
# and whole flags; and the splits `make hidden` extracts.
EXTRACT_READOUTS ?= $(ALL_READOUTS)
EXTRACT_BATCH ?= 64
EXTRACT_FLAGS ?= --readouts $(EXTRACT_READOUTS) --batch-size $(EXTRACT_BATCH) --backend $(BACKEND) --device $(DEVICE) --quiet
EXTRACT_SPLITS ?= train dev test
# The fine-tuned run probed on each of PROBE_TASKS (next to the pretrained model).
PROBE_RUN ?= $(firstword $(call seeded,cls))
# Hidden-state ids (`pretrained`, or <task>-<run>) that `make probes` probes and `make hidden` extracts.
PROBE_IDS ?= pretrained $(foreach t,$(PROBE_TASKS),$(t)-$(PROBE_RUN))
HIDDEN_IDS ?= $(PROBE_IDS)
# Pairs of hidden-state ids, a:b, that `make changes` compares with CKA, and the split compared.
CHANGE_PAIRS ?= $(foreach t,$(PROBE_TASKS),pretrained:$(t)-$(PROBE_RUN))
CHANGE_SPLIT ?= dev

# ---- probes (pipelines/probe.mk) -----------------------------------------------------------------
# Where probe tables go (<PROBE_DIR>/<id>/<task>.parquet, and <task>.predictions.parquet beside
# each), and CKA tables.
PROBE_DIR ?= probes
CHANGE_DIR ?= $(PROBE_DIR)/cka
# probe-dims flags, e.g. --methods full,pair --readouts cls.
PROBE_FLAGS ?=
# The seeds of the control tables (permuted labels) beside each probe table, and their probe-dims
# flags (the top layer's cls readout: what the claims read).
PROBE_CONTROLS ?= 1 2 3
CONTROL_FLAGS ?= --methods full,single,pair --readouts cls --layers -1
# The hidden-state id of `make probe-bench` and `make probe-fixture` (on movie).
PROBE_FIXTURE_ID ?= pretrained
# The dims run whose own head is scored with subsets of its dims zeroed (`make ablations`).
ABLATE_RUN ?= $(firstword $(call seeded,dims-random3))

# ---- report (pipelines/report.mk) ----------------------------------------------------------------
# Reports go to <REPORTS_DIR>/<REPORT_NAME>/.
REPORTS_DIR ?= reports
# What the report reads (and makes first).
REPORT_INPUTS ?= $(call sweep_files,$(MAIN_TASKS),$(SWEEP_all)) $(PROBE_FILES) $(PROBE_PREDICTIONS) $(CONTROL_FILES) $(CHANGE_FILES) $(ABLATE_FILES) $(CROSS_FILES)
