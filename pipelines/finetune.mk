# Fine-tuning runs: one file target per run, `runs/<task>/<name>/run.json`, and the paper's sweeps.
# Included by the main Makefile (BIN, MODEL_DIR, BACKEND, DEVICE, SUBMIT) after data.mk (TOK_DIR).
#
#   make runs/movie/cls/run.json        one run
#   make sweep-token  TASK=movie         cls, max-norm, mean, pos:1
#   make sweep-dims   TASK=movie         first:1, random:2, random:3, all
#   make sweep-layer  TASK=movie         2 random dims of the CLS vector of each hidden layer
#   make sweep-freeze TASK=movie         frozen encoder + mlp head vs trainable encoder + linear head
#   make sweep        TASK=movie         all four (use make -j N; add SUBMIT="srun ..." on a cluster)
#
# A run re-runs when its binary, its token files or its flags change (flags live in a file that is
# rewritten only when they differ).

RUNS_DIR  ?= runs
TASK      ?= movie
FT_EPOCHS ?= 2
SEED      ?= 42
FT_COMMON = --epochs $(FT_EPOCHS) --seed $(SEED) --backend $(BACKEND) --device $(DEVICE) --quiet

# run name -> finetune flags
RUN_cls              := --token cls
RUN_max-norm         := --token max-norm
RUN_mean             := --token mean
RUN_pos1             := --token pos:1
RUN_dims-first1      := --dims first:1
RUN_dims-random2     := --dims random:2
RUN_dims-random3     := --dims random:3
RUN_freeze-all-mlp   := --freeze all --head mlp --lr 1e-3
RUN_freeze-none-linear := --freeze none --head linear
LAYERS ?= 0 1 2 3 4 5 6
$(foreach l,$(LAYERS),$(eval RUN_layer$(l) := --layer $(l) --dims random:2))

SWEEP_token  := cls max-norm mean pos1
SWEEP_dims   := dims-first1 dims-random2 dims-random3 cls
SWEEP_layer  := $(addprefix layer,$(LAYERS))
SWEEP_freeze := freeze-all-mlp freeze-none-linear

run_file = $(RUNS_DIR)/$(1)/$(2)/run.json

# $(1) = task, $(2) = run name
define run_rule
$(call run_file,$(1),$(2)): $(BIN)/finetune $(TOK_DIR)/$(1)/train.parquet $(TOK_DIR)/$(1)/dev.parquet $(TOK_DIR)/$(1)/test.parquet $(RUNS_DIR)/$(1)/.$(2).flags
	$$(SUBMIT) $(BIN)/finetune --model $(MODEL_DIR) --train $(TOK_DIR)/$(1)/train.parquet \
	  --dev $(TOK_DIR)/$(1)/dev.parquet --test $(TOK_DIR)/$(1)/test.parquet \
	  --out $(RUNS_DIR)/$(1)/$(2) $(RUN_$(2)) $$(FT_COMMON)
$(RUNS_DIR)/$(1)/.$(2).flags: FORCE
	@mkdir -p $$(@D); f='$(RUN_$(2)) $$(FT_COMMON) $(MODEL_DIR)'; \
	  echo "$$$$f" | cmp -s - $$@ || echo "$$$$f" > $$@
endef

RUN_NAMES := $(sort $(SWEEP_token) $(SWEEP_dims) $(SWEEP_layer) $(SWEEP_freeze))
$(foreach t,$(TASK),$(foreach r,$(RUN_NAMES),$(eval $(call run_rule,$(t),$(r)))))

.PHONY: FORCE sweep sweep-token sweep-dims sweep-layer sweep-freeze runs-summary
FORCE:

define sweep_rule
sweep-$(1): $(foreach r,$(SWEEP_$(1)),$(call run_file,$(TASK),$(r)))
	@$$(MAKE) --no-print-directory runs-summary RUNS_SHOWN="$$^"
endef
$(foreach s,token dims layer freeze,$(eval $(call sweep_rule,$(s))))

sweep: sweep-token sweep-dims sweep-layer sweep-freeze

# One line per run: name, best epoch, dev and test metrics.
runs-summary:
	@for f in $(RUNS_SHOWN); do python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); \
	  print(f"{sys.argv[1]:<40} epoch {r[\"best_epoch\"]}  " + "  ".join(f"{m[\"split\"]} {m[\"metric\"]} {m[\"value\"]:.4f}" for m in r["final"]))' $$f; done
