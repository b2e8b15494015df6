# Fine-tuning runs: one file target per run, `runs/<task>/<name>/run.json`, and the paper's sweeps.
# Included by the main Makefile (BIN, settings_stamp, NUM_LAYERS; knobs in config.mk) after data.mk.
#
#   make runs/movie/cls/run.json        one run
#   make sweep-token  TASK=movie         cls, max-norm, mean, pos:1
#   make sweep-dims   TASK=movie         first:1, random:2, random:3, all (= cls)
#   make sweep-layer  TASK=movie         2 random dims of the CLS vector of each hidden layer (the last: dims-random2)
#   make sweep-freeze TASK=movie         frozen encoder + mlp head vs trainable encoder + linear head (= cls)
#   make sweep        TASK=movie         all four (use make -j N; add SUBMIT="srun ..." on a cluster)
#
# With SEEDS="1 2 3" every run is made once per seed, named <name>-seed<N>; with SEEDS empty it is
# made once, with SEED, under its plain name. A run re-runs when its binary, its token files or its
# flags change (flags live in a file that is rewritten only when they differ).

# Every task that gets run rules: the sweeps' TASK, MAIN_TASKS and the start of cross-finetune.
FT_TASKS := $(sort $(TASK) $(MAIN_TASKS) $(CROSS_FROM))
FT_COMMON = --epochs $(FT_EPOCHS) --batch-size $(FT_BATCH) $(if $(FT_MAX_TRAIN),--max-train $(FT_MAX_TRAIN)) \
	--backend $(BACKEND) --device $(DEVICE) --quiet
# Not in the flags stamp (they do not change the result): a partial run dir of the same flags,
# left by a killed run, is resumed; one of other flags is started afresh.
FT_RESUME = --resume --save-every $(FT_SAVE_EVERY)

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
# LAYERS: the model's hidden layers 0..NUM_LAYERS (NUM_LAYERS from the generated $(MODEL_MK)).
$(foreach l,$(LAYERS),$(eval RUN_layer$(l) := --layer $(l) --dims random:2))

# The trainable-encoder + linear-head side of the freezing comparison is the cls run itself.
SWEEP_token  := cls max-norm mean pos1
SWEEP_dims   := dims-first1 dims-random2 dims-random3 cls
# The last layer's point is dims-random2 itself (the same run: CLS, random:2, last layer).
SWEEP_layer  := $(addprefix layer,$(filter-out $(NUM_LAYERS),$(LAYERS))) $(if $(filter $(NUM_LAYERS),$(LAYERS)),dims-random2)
SWEEP_freeze := freeze-all-mlp cls
SWEEP_all    := $(sort $(SWEEP_token) $(SWEEP_dims) $(SWEEP_layer) $(SWEEP_freeze))

# $(call seeded,NAME): the run names of NAME, one per seed (ONE_SEED_RUNS: the first seed only).
run_seeds = $(if $(filter $(1),$(ONE_SEED_RUNS)),$(firstword $(SEEDS)),$(SEEDS))
seeded   = $(if $(SEEDS),$(foreach s,$(call run_seeds,$(1)),$(1)-seed$(s)),$(1))
run_file = $(RUNS_DIR)/$(1)/$(2)/run.json
# $(call sweep_files,TASKS,NAMES): every run file of those tasks and names, all seeds.
sweep_files = $(foreach t,$(1),$(foreach r,$(2),$(foreach n,$(call seeded,$(r)),$(call run_file,$(t),$(n)))))

# A task's report splits besides test (MNLI's test_mm), scored by every run with --also-test.
also_test = $(foreach s,$(filter-out train dev test,$(SPLITS_$(1))),$(TOK_DIR)/$(1)/$(s).parquet)

# $(1) = task, $(2) = run name, $(3) = full name (with the seed), $(4) = seed
define run_rule
$(call run_file,$(1),$(3)): $(BIN)/finetune $(TOK_DIR)/$(1)/train.parquet $(TOK_DIR)/$(1)/dev.parquet $(TOK_DIR)/$(1)/test.parquet $(call also_test,$(1)) $(RUNS_DIR)/$(1)/.$(3).flags
	$$(SUBMIT) $(BIN)/finetune --model $(MODEL_DIR) --train $(TOK_DIR)/$(1)/train.parquet \
	  --dev $(TOK_DIR)/$(1)/dev.parquet --test $(TOK_DIR)/$(1)/test.parquet $(addprefix --also-test ,$(call also_test,$(1))) \
	  --out $(RUNS_DIR)/$(1)/$(3) $(RUN_$(2)) --seed $(4) --lr $(or $(LR_$(2)),$(FT_LR)) $$(FT_COMMON) $$(FT_RESUME)
$(call settings_stamp,$(RUNS_DIR)/$(1)/.$(3).flags,$(RUN_$(2)) --seed $(4) --lr $(or $(LR_$(2)),$(FT_LR)) $$(FT_COMMON) $(MODEL_DIR))
endef

RUN_NAMES := $(SWEEP_all)
$(foreach t,$(FT_TASKS),$(foreach r,$(RUN_NAMES),$(if $(SEEDS),\
	$(foreach s,$(SEEDS),$(eval $(call run_rule,$(t),$(r),$(r)-seed$(s),$(s)))),\
	$(eval $(call run_rule,$(t),$(r),$(r),$(SEED))))))

.PHONY: sweep sweep-token sweep-dims sweep-layer sweep-freeze runs-summary

define sweep_rule
sweep-$(1): $(call sweep_files,$(TASK),$(SWEEP_$(1)))
	@$$(MAKE) --no-print-directory runs-summary RUNS_SHOWN="$$^"
endef
$(foreach s,token dims layer freeze,$(eval $(call sweep_rule,$(s))))

sweep: sweep-token sweep-dims sweep-layer sweep-freeze

# One line per run: name, best epoch, dev and test metrics.
runs-summary: $(BIN)/report
	@$(if $(strip $(RUNS_SHOWN)),$(BIN)/report --summary $(RUNS_SHOWN),echo "runs-summary: no runs (RUNS_SHOWN is empty)")
