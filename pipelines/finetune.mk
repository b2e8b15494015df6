# Fine-tuning runs: one file target per run, `runs/<task>/<name>/run.json`, and the paper's sweeps.
# Included by the main Makefile (BIN, MODEL_DIR, BACKEND, DEVICE, SUBMIT, FT_TASKS, SEEDS) after
# data.mk (TOK_DIR).
#
#   make runs/movie/cls/run.json        one run
#   make sweep-token  TASK=movie         cls, max-norm, mean, pos:1
#   make sweep-dims   TASK=movie         first:1, random:2, random:3, all (= cls)
#   make sweep-layer  TASK=movie         2 random dims of the CLS vector of each hidden layer
#   make sweep-freeze TASK=movie         frozen encoder + mlp head vs trainable encoder + linear head (= cls)
#   make sweep        TASK=movie         all four (use make -j N; add SUBMIT="srun ..." on a cluster)
#
# With SEEDS="1 2 3" every run is made once per seed, named <name>-seed<N>; with SEEDS empty it is
# made once, with SEED, under its plain name. A run re-runs when its binary, its token files or its
# flags change (flags live in a file that is rewritten only when they differ).

RUNS_DIR     ?= runs
TASK         ?= movie
FT_TASKS     ?= $(TASK)
SEED         ?= 42
SEEDS        ?=
# Training size and hyperparameters of every run (the main job's; `make paper` uses full data).
FT_EPOCHS    ?= 1
FT_BATCH     ?= 16
FT_LR        ?= 1e-4
FT_MAX_TRAIN ?= 1500
FT_COMMON = --epochs $(FT_EPOCHS) --batch-size $(FT_BATCH) $(if $(FT_MAX_TRAIN),--max-train $(FT_MAX_TRAIN)) \
	--backend $(BACKEND) --device $(DEVICE) --quiet

# run name -> finetune flags (and a learning rate where the run needs its own)
RUN_cls              := --token cls
RUN_max-norm         := --token max-norm
RUN_mean             := --token mean
RUN_pos1             := --token pos:1
RUN_dims-first1      := --dims first:1
RUN_dims-random2     := --dims random:2
RUN_dims-random3     := --dims random:3
RUN_freeze-all-mlp   := --freeze all --head mlp
LR_freeze-all-mlp    := 1e-3
# The model's hidden layers 0..L, from its config.json (6 for MiniLM when it is not fetched yet).
NUM_LAYERS := $(or $(shell sed -n 's/.*"num_hidden_layers": *\([0-9]*\).*/\1/p' $(MODEL_DIR)/config.json 2>/dev/null),6)
LAYERS     ?= $(shell seq 0 $(NUM_LAYERS))
$(foreach l,$(LAYERS),$(eval RUN_layer$(l) := --layer $(l) --dims random:2))

# The trainable-encoder + linear-head side of the freezing comparison is the cls run itself.
SWEEP_token  := cls max-norm mean pos1
SWEEP_dims   := dims-first1 dims-random2 dims-random3 cls
SWEEP_layer  := $(addprefix layer,$(LAYERS))
SWEEP_freeze := freeze-all-mlp cls
SWEEP_all    := $(sort $(SWEEP_token) $(SWEEP_dims) $(SWEEP_layer) $(SWEEP_freeze))

# $(call seeded,NAME): the run names of NAME, one per seed.
seeded   = $(if $(SEEDS),$(foreach s,$(SEEDS),$(1)-seed$(s)),$(1))
run_file = $(RUNS_DIR)/$(1)/$(2)/run.json
# $(call sweep_files,TASKS,NAMES): every run file of those tasks and names, all seeds.
sweep_files = $(foreach t,$(1),$(foreach r,$(2),$(foreach n,$(call seeded,$(r)),$(call run_file,$(t),$(n)))))

# $(1) = task, $(2) = run name, $(3) = full name (with the seed), $(4) = seed
define run_rule
$(call run_file,$(1),$(3)): $(BIN)/finetune $(TOK_DIR)/$(1)/train.parquet $(TOK_DIR)/$(1)/dev.parquet $(TOK_DIR)/$(1)/test.parquet $(RUNS_DIR)/$(1)/.$(3).flags
	$$(SUBMIT) $(BIN)/finetune --model $(MODEL_DIR) --train $(TOK_DIR)/$(1)/train.parquet \
	  --dev $(TOK_DIR)/$(1)/dev.parquet --test $(TOK_DIR)/$(1)/test.parquet \
	  --out $(RUNS_DIR)/$(1)/$(3) $(RUN_$(2)) --seed $(4) --lr $(or $(LR_$(2)),$(FT_LR)) $$(FT_COMMON)
$(RUNS_DIR)/$(1)/.$(3).flags: FORCE
	@mkdir -p $$(@D); f='$(RUN_$(2)) --seed $(4) --lr $(or $(LR_$(2)),$(FT_LR)) $$(FT_COMMON) $(MODEL_DIR)'; \
	  echo "$$$$f" | cmp -s - $$@ || echo "$$$$f" > $$@
endef

RUN_NAMES := $(SWEEP_all)
$(foreach t,$(FT_TASKS),$(foreach r,$(RUN_NAMES),$(if $(SEEDS),\
	$(foreach s,$(SEEDS),$(eval $(call run_rule,$(t),$(r),$(r)-seed$(s),$(s)))),\
	$(eval $(call run_rule,$(t),$(r),$(r),$(SEED))))))

.PHONY: FORCE sweep sweep-token sweep-dims sweep-layer sweep-freeze runs-summary
FORCE:

define sweep_rule
sweep-$(1): $(call sweep_files,$(TASK),$(SWEEP_$(1)))
	@$$(MAKE) --no-print-directory runs-summary RUNS_SHOWN="$$^"
endef
$(foreach s,token dims layer freeze,$(eval $(call sweep_rule,$(s))))

sweep: sweep-token sweep-dims sweep-layer sweep-freeze

# One line per run: name, best epoch, dev and test metrics.
runs-summary:
	@for f in $(RUNS_SHOWN); do python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); \
	  print(f"{sys.argv[1]:<40} epoch {r[\"best_epoch\"]}  " + "  ".join(f"{m[\"split\"]} {m[\"metric\"]} {m[\"value\"]:.4f}" for m in r["final"]))' $$f; done
