# cross-finetune: start from the cls run of CROSS_FROM, fine-tune on each of CROSS_TASKS in turn,
# and score every task so far with its own head after every step (the task x task matrix).
# Included by the main Makefile (settings_stamp; knobs in config.mk) after finetune.mk (run_file, seeded).
#
#   make cross      runs/cross/<from>-<tasks>[-seed<N>]/cross.parquet (one per seed)
#
# CROSS_FLAGS: re-train the earlier heads on a frozen encoder and re-fit a probe, besides scoring the
# heads as they were (see docs/cross.md).

comma := ,
empty :=
space := $(empty) $(empty)
CROSS_COMMON = --epochs $(FT_EPOCHS) --batch-size $(FT_BATCH) --lr $(FT_LR) \
	$(if $(FT_MAX_TRAIN),--max-train $(FT_MAX_TRAIN)) $(CROSS_FLAGS) --backend $(BACKEND) --device $(DEVICE) --quiet

# $(call cross_file,RUN NAME of the start): the matrix of the cross run from that run.
cross_file = $(RUNS_DIR)/cross/$(CROSS_FROM)-$(subst $(space),-,$(strip $(CROSS_TASKS)))$(patsubst cls%,%,$(1))/cross.parquet
CROSS_FILES := $(foreach n,$(call seeded,cls),$(call cross_file,$(n)))

# $(1) = the start run's name (cls or cls-seed<N>), $(2) = its seed
define cross_rule
$(call cross_file,$(1)): $(call run_file,$(CROSS_FROM),$(1)) $(BIN)/cross-finetune \
		$(foreach t,$(CROSS_TASKS),$(foreach s,train dev test,$(TOK_DIR)/$(t)/$(s).parquet)) $(RUNS_DIR)/cross/.$(1).flags
	$$(SUBMIT) $(BIN)/cross-finetune --from $(RUNS_DIR)/$(CROSS_FROM)/$(1) --task-dir $(TOK_DIR) \
	  --tasks $(subst $(space),$(comma),$(strip $(CROSS_TASKS))) --out $$(@D) --seed $(2) $$(CROSS_COMMON)
$(call settings_stamp,$(RUNS_DIR)/cross/.$(1).flags,$(CROSS_TASKS) $$(CROSS_COMMON))
endef
$(if $(SEEDS),$(foreach s,$(SEEDS),$(eval $(call cross_rule,cls-seed$(s),$(s)))),$(eval $(call cross_rule,cls,$(SEED))))

.PHONY: cross
cross: $(CROSS_FILES)
