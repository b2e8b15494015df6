# extract-hidden: token parquets -> hidden/<id>/<task>/<split>.safetensors, every layer's readouts.
# Included by the main Makefile (BIN, settings_stamp; knobs in config.mk) after data.mk and
# finetune.mk (run_file, seeded, RUN_NAMES, FT_TASKS), and before probe.mk.
#
#   make hidden/pretrained/movie/dev.safetensors     the pretrained model ($(MODEL_DIR))
#   make hidden/movie-cls/movie/dev.safetensors      the fine-tuned run runs/movie/cls (fine-tunes first)
#   make hidden                                      every split of every id in HIDDEN_IDS x PROBE_TASKS
#
# Ids: `pretrained`, or `<task>-<run>` for the run runs/<task>/<run>. EXTRACT_FLAGS live in a settings
# file rewritten only when they change, so changing them re-extracts and nothing else.

EXTRACT_SETTINGS := $(HIDDEN_DIR)/.settings

# Pretrained: any task, any split.
$(HIDDEN_DIR)/pretrained/%.safetensors: $(TOK_DIR)/%.parquet $(BIN)/extract-hidden $(EXTRACT_SETTINGS) | $(ASSETS_STAMP)
	$(SUBMIT) $(BIN)/extract-hidden --model $(MODEL_DIR) --model-name $(MODEL) --in $< --out $@ $(EXTRACT_FLAGS)

# A run: $(1) = task, $(2) = run name. The run's run.json marks it done (written last by finetune).
define extract_run_rule
$(HIDDEN_DIR)/$(1)-$(2)/$(1)/%.safetensors: $(TOK_DIR)/$(1)/%.parquet $(call run_file,$(1),$(2)) $(BIN)/extract-hidden $(EXTRACT_SETTINGS)
	$$(SUBMIT) $(BIN)/extract-hidden --model $(RUNS_DIR)/$(1)/$(2) --in $$< --out $$@ $$(EXTRACT_FLAGS)
endef
$(foreach t,$(FT_TASKS),$(foreach r,$(RUN_NAMES),$(foreach n,$(call seeded,$(r)),$(eval $(call extract_run_rule,$(t),$(n))))))

.PHONY: hidden
hidden: $(foreach i,$(HIDDEN_IDS),$(foreach t,$(PROBE_TASKS),$(if $(filter pretrained $(t)-%,$(i)),\
	$(foreach s,$(EXTRACT_SPLITS),$(HIDDEN_DIR)/$(i)/$(t)/$(s).safetensors))))

$(eval $(call settings_stamp,$(EXTRACT_SETTINGS),flags=$$(EXTRACT_FLAGS)))
