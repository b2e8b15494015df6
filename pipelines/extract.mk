# extract-hidden: token parquets -> hidden/<id>/<task>/<split>.safetensors, every layer's readouts.
# Included by the main Makefile (BIN, MODEL_DIR, BACKEND, DEVICE, SUBMIT) after data.mk (TOK_DIR)
# and finetune.mk (RUNS_DIR, run_file, RUN_NAMES), and before probe.mk, whose ids it sets.
#
#   make hidden/pretrained/movie/dev.safetensors     the pretrained model ($(MODEL_DIR))
#   make hidden/movie-cls/movie/dev.safetensors      the fine-tuned run runs/movie/cls (fine-tunes first)
#   make hidden                                      every split of every id in HIDDEN_IDS x PROBE_TASKS
#
# Ids: `pretrained`, or `<task>-<run>` for the run runs/<task>/<run>. EXTRACT_FLAGS live in a settings
# file rewritten only when they change, so changing them re-extracts and nothing else.

HIDDEN_DIR       ?= hidden
EXTRACT_READOUTS ?= cls,max-norm,mean,pos:1,pooler
EXTRACT_BATCH    ?= 64
EXTRACT_FLAGS    ?= --readouts $(EXTRACT_READOUTS) --batch-size $(EXTRACT_BATCH) --backend $(BACKEND) --device $(DEVICE) --quiet
EXTRACT_SETTINGS := $(HIDDEN_DIR)/.settings
EXTRACT_SPLITS   ?= train dev test

# What `make probes` / `make changes` (probe.mk) cover: the pretrained model and the main
# fine-tuned run of each probed task, and the CKA table between the two.
PROBE_TASKS  ?= movie
PROBE_RUN    ?= $(firstword $(call seeded,cls))
PROBE_IDS    ?= pretrained $(foreach t,$(PROBE_TASKS),$(t)-$(PROBE_RUN))
CHANGE_PAIRS ?= $(foreach t,$(PROBE_TASKS),pretrained:$(t)-$(PROBE_RUN))
HIDDEN_IDS   ?= $(PROBE_IDS)

# Pretrained: any task, any split.
$(HIDDEN_DIR)/pretrained/%.safetensors: $(TOK_DIR)/%.parquet $(BIN)/extract-hidden $(EXTRACT_SETTINGS) | $(ASSETS_STAMP)
	$(SUBMIT) $(BIN)/extract-hidden --model $(MODEL_DIR) --model-name $(MODEL) --in $< --out $@ $(EXTRACT_FLAGS)

# A run: $(1) = task, $(2) = run name. The run's run.json marks it done (written last by finetune).
define extract_run_rule
$(HIDDEN_DIR)/$(1)-$(2)/$(1)/%.safetensors: $(TOK_DIR)/$(1)/%.parquet $(call run_file,$(1),$(2)) $(BIN)/extract-hidden $(EXTRACT_SETTINGS)
	$$(SUBMIT) $(BIN)/extract-hidden --model $(RUNS_DIR)/$(1)/$(2) --in $$< --out $$@ $$(EXTRACT_FLAGS)
endef
$(foreach t,$(FT_TASKS),$(foreach r,$(RUN_NAMES),$(foreach n,$(call seeded,$(r)),$(eval $(call extract_run_rule,$(t),$(n))))))

.PHONY: hidden extract-settings-force
hidden: $(foreach i,$(HIDDEN_IDS),$(foreach t,$(PROBE_TASKS),$(if $(filter pretrained $(t)-%,$(i)),\
	$(foreach s,$(EXTRACT_SPLITS),$(HIDDEN_DIR)/$(i)/$(t)/$(s).safetensors))))

$(EXTRACT_SETTINGS): extract-settings-force
	@mkdir -p $(@D)
	@echo 'flags=$(EXTRACT_FLAGS)' > $@.new; if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
