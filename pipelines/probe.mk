# Probe stages: probe-dims (hidden/<id>/<task>/{train,dev,test}.safetensors -> probes/<id>/<task>.parquet
# and its headline probes' per-item predictions probes/<id>/<task>.predictions.parquet)
# and rep-change (the same split of two hidden-state ids -> probes/cka/<a>_vs_<b>/<task>/<split>.parquet).
# Included by the main Makefile (BIN, settings_stamp; knobs in config.mk); the hidden files come
# from the extract-hidden rules.
#
#   make probes                        probe tables (and predictions) for every id in PROBE_IDS x task in PROBE_TASKS
#   make changes                       CKA tables for every a:b in CHANGE_PAIRS x task in PROBE_TASKS
#   make probes/<id>/<task>.parquet    one probe table (an id of PROBE_IDS, a task of PROBE_TASKS)
#   make probe-bench                   all pairs x all layers vs scikit-learn (bench/probe/run.sh)
#   make probe-fixture                 re-make the scikit-learn fixture on $(HIDDEN_DIR)/$(PROBE_FIXTURE_ID)/movie
#
# PROBE_FLAGS (e.g. --methods full,pair --readouts cls) is kept in a settings file rewritten only
# when it changes, so changing it re-runs the probes and nothing else.

PROBE_SETTINGS := $(PROBE_DIR)/.settings

# An id is `pretrained` (any task) or `<task>-<run>` (its own task only).
id_fits = $(filter pretrained $(2)-%,$(1))
PROBE_FILES  := $(foreach t,$(PROBE_TASKS),$(foreach i,$(PROBE_IDS),$(if $(call id_fits,$(i),$(t)),$(PROBE_DIR)/$(i)/$(t).parquet)))
PROBE_PREDICTIONS := $(PROBE_FILES:.parquet=.predictions.parquet)
pair_a = $(word 1,$(subst :, ,$(1)))
pair_b = $(word 2,$(subst :, ,$(1)))
CHANGE_FILES := $(foreach p,$(CHANGE_PAIRS),$(foreach t,$(PROBE_TASKS),\
	$(if $(and $(call id_fits,$(call pair_a,$(p)),$(t)),$(call id_fits,$(call pair_b,$(p)),$(t))),\
	$(CHANGE_DIR)/$(call pair_a,$(p))_vs_$(call pair_b,$(p))/$(t)/$(CHANGE_SPLIT).parquet)))

.PHONY: probes changes probe-bench probe-fixture controls

probes: $(PROBE_FILES) $(PROBE_PREDICTIONS)
changes: $(CHANGE_FILES)

# One table per (id, task): all layers, all readouts, every mode; and, from the same run, the
# per-item predictions of its headline probes (full vector, best single dim, best pair), which the
# report's probe claim resamples. Both files are targets of one rule (grouped, `&:`): one run
# writes both, and a missing or stale one re-runs it. $(1) = id, $(2) = task
define probe_rule
$(PROBE_DIR)/$(1)/$(2).parquet $(PROBE_DIR)/$(1)/$(2).predictions.parquet &: \
		$(foreach s,train dev test,$(HIDDEN_DIR)/$(1)/$(2)/$(s).safetensors) $(BIN)/probe-dims $(PROBE_SETTINGS)
	$$(SUBMIT) $(BIN)/probe-dims --hidden $(HIDDEN_DIR)/$(1)/$(2) --out $(PROBE_DIR)/$(1)/$(2).parquet $$(PROBE_FLAGS)
endef
$(foreach t,$(PROBE_TASKS),$(foreach i,$(PROBE_IDS),$(if $(call id_fits,$(i),$(t)),$(eval $(call probe_rule,$(i),$(t))))))

# $(call change_rule,A,B,TASK,SPLIT)
define change_rule
$(CHANGE_DIR)/$(1)_vs_$(2)/$(3)/$(4).parquet: $(HIDDEN_DIR)/$(1)/$(3)/$(4).safetensors \
		$(HIDDEN_DIR)/$(2)/$(3)/$(4).safetensors $(BIN)/rep-change
	$$(SUBMIT) $(BIN)/rep-change --a $(HIDDEN_DIR)/$(1)/$(3)/$(4).safetensors \
		--b $(HIDDEN_DIR)/$(2)/$(3)/$(4).safetensors --out $$@
endef
$(foreach p,$(CHANGE_PAIRS),$(foreach t,$(PROBE_TASKS),\
	$(if $(and $(call id_fits,$(call pair_a,$(p)),$(t)),$(call id_fits,$(call pair_b,$(p)),$(t))),\
	$(eval $(call change_rule,$(call pair_a,$(p)),$(call pair_b,$(p)),$(t),$(CHANGE_SPLIT))))))

$(eval $(call settings_stamp,$(PROBE_SETTINGS),flags=$$(PROBE_FLAGS)))

# Controls (Hewitt & Liang, 2019): the same probes on permuted labels, one table per seed of
# PROBE_CONTROLS beside each probe table: <id>/<task>-control<seed>.parquet (no predictions file).
# The report shows the selectivity (task − control) and the best pairs that chance reaches.
#   make controls
CONTROL_SETTINGS := $(PROBE_DIR)/.control-settings
CONTROL_FILES := $(foreach f,$(PROBE_FILES),$(foreach s,$(PROBE_CONTROLS),$(f:.parquet=-control$(s).parquet)))
controls: $(CONTROL_FILES)

# $(1) = id, $(2) = task, $(3) = seed
define control_rule
$(PROBE_DIR)/$(1)/$(2)-control$(3).parquet: $(foreach s,train dev test,$(HIDDEN_DIR)/$(1)/$(2)/$(s).safetensors) \
		$(BIN)/probe-dims $(CONTROL_SETTINGS)
	$$(SUBMIT) $(BIN)/probe-dims --hidden $(HIDDEN_DIR)/$(1)/$(2) --out $$@ $$(CONTROL_FLAGS) --permute-labels $(3) --quiet
endef
$(foreach t,$(PROBE_TASKS),$(foreach i,$(PROBE_IDS),$(if $(call id_fits,$(i),$(t)),\
	$(foreach s,$(PROBE_CONTROLS),$(eval $(call control_rule,$(i),$(t),$(s)))))))
$(eval $(call settings_stamp,$(CONTROL_SETTINGS),flags=$$(CONTROL_FLAGS)))

probe-bench: $(BIN)/probe-dims
	bench/probe/run.sh $(HIDDEN_DIR)/$(PROBE_FIXTURE_ID)/movie

probe-fixture: $(foreach s,train dev test,$(HIDDEN_DIR)/$(PROBE_FIXTURE_ID)/movie/$(s).safetensors)
	scripts/probe_reference/run.sh $(HIDDEN_DIR)/$(PROBE_FIXTURE_ID)/movie

# The paper's 3 -> 2 test with no refit: a fine-tuned dims run's own head scored with every subset of
# its dims zeroed (probe-dims --methods ablate), on that run's hidden states of dev and test.
#   make ablations      probes/<task>-<run>/<task>-ablate.parquet for ABLATE_RUN on each PROBE_TASKS
ABLATE_FILES := $(foreach t,$(PROBE_TASKS),$(PROBE_DIR)/$(t)-$(ABLATE_RUN)/$(t)-ablate.parquet)

# $(1) = task, $(2) = run name
define ablate_rule
$(PROBE_DIR)/$(1)-$(2)/$(1)-ablate.parquet: $(HIDDEN_DIR)/$(1)-$(2)/$(1)/dev.safetensors \
		$(HIDDEN_DIR)/$(1)-$(2)/$(1)/test.safetensors $(call run_file,$(1),$(2)) $(BIN)/probe-dims
	$$(SUBMIT) $(BIN)/probe-dims --methods ablate --run $(RUNS_DIR)/$(1)/$(2) \
		--hidden $(HIDDEN_DIR)/$(1)-$(2)/$(1) --out $$@ --quiet
endef
$(foreach t,$(PROBE_TASKS),$(eval $(call ablate_rule,$(t),$(ABLATE_RUN))))

.PHONY: ablations
ablations: $(ABLATE_FILES)
