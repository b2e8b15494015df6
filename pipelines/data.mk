# Data stages: prepare (raw sources -> data/tasks/<task>/<split>.parquet) and tokenize
# (-> data/tok/<model>/<task>/<split>.parquet). Included by the main Makefile, which defines
# BIN, ASSETS, ASSETS_STAMP and settings_stamp, and includes the registry first; knobs: config.mk.
#
#   make tasks          prepare every built-in task, then print one line per split
#   make tok            tokenize every built-in task, then print one line per split
#   make data-summary   the summary lines only
#   make glue-tok GLUE_DIR=/path   the nine GLUE tasks (HF parquet or original TSV layout)
#   make data/tok/<model>/<task>/train.parquet USER_TASK=<task> USER_FROM=F USER_FLAGS=...   your own
#
# Each rule depends on its stage binary, its inputs and its settings: MAX_LEN is kept in a
# settings file rewritten only when it changes, so changing it re-tokenizes and nothing else.

# From the task registry (the generated $(REGISTRY_MK), printed by `prepare --list --format make`):
# DATA_TASKS (the built-in suite) and GLUE_TASKS; per task its SPLITS_<task> (train dev test; MNLI
# adds test_mm), SRC_<task> (the source file below $(ASSETS); empty for news, which reads the bbc/
# folder: its files depend on the assets stamp), GLUE_HF_<task> and GLUE_TSV_<task> (folder names).
task_splits = $(SPLITS_$(1))
task_files  = $(foreach s,$(call task_splits,$(1)),$(TASKS_DIR)/$(1)/$(s).parquet)
tok_files   = $(patsubst $(TASKS_DIR)/%,$(TOK_DIR)/%,$(call task_files,$(1)))

TOKENIZER := $(MODEL_DIR)/tokenizer.json
DATA_TASK_FILES := $(foreach t,$(DATA_TASKS),$(call task_files,$(t)))
DATA_TOK_FILES  := $(foreach t,$(DATA_TASKS),$(call tok_files,$(t)))
GLUE_TOK_FILES  := $(foreach t,$(GLUE_TASKS),$(call tok_files,$(t)))
DATA_ASSET_FILES := $(addprefix $(ASSETS)/,$(sort $(foreach t,$(DATA_TASKS),$(SRC_$(t))))) $(TOKENIZER)
TOK_SETTINGS := $(TOK_DIR)/.settings

.PHONY: tasks tok data-summary glue-tasks glue-tok

tasks: $(DATA_TASK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TASK_FILES)

tok: $(DATA_TOK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TOK_FILES)

data-summary: $(DATA_TOK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TOK_FILES)

# Asset files come from the assets stamp's rule; existing ones are never remade here.
$(DATA_ASSET_FILES): | $(ASSETS_STAMP) ;

# prepare: one run writes all splits of a task (grouped, so `make -j` runs it once). Its inputs: the
# binary and the task's source, the file below $(ASSETS) (news: the assets stamp) or GLUE's files.
# $(1) = task, $(2) = the --source folder, $(3) = the source files
define prepare_rule
$(call task_files,$(1)) &: $(BIN)/prepare $(3)
	$(BIN)/prepare --task $(1) --source $(2) --out $(TASKS_DIR)
endef
$(foreach t,$(DATA_TASKS),$(eval $(call prepare_rule,$(t),$(ASSETS),\
	$(if $(SRC_$(t)),$(ASSETS)/$(SRC_$(t)),$(ASSETS_STAMP)))))
$(foreach t,$(GLUE_TASKS),$(eval $(call prepare_rule,$(t),$(GLUE_DIR),$(wildcard $(GLUE_DIR)/$(GLUE_HF_$(t))/*.parquet \
	$(GLUE_DIR)/$(GLUE_TSV_$(t))/*.tsv $(GLUE_DIR)/glue_data/$(GLUE_TSV_$(t))/*.tsv))))

# Your own task (`make mine`; knobs USER_* in config.mk): the registry fragment knows only the
# built-in and GLUE tasks, so its splits and prepare rule are made here. Its inputs: the binary,
# the source file(s) (every parquet file of a `datasets` export folder, so an edited file
# re-prepares) and a stamp of prepare's flags (so a changed --label re-prepares too).
ifneq ($(USER_TASK),)
$(if $(filter $(USER_TASK),$(DATA_TASKS) $(GLUE_TASKS)),$(error USER_TASK=$(USER_TASK) is a built-in task: give your own task another name))
SPLITS_$(USER_TASK) := train dev test
USER_INPUT := $(if $(USER_FROM),--from $(USER_FROM),$(addprefix --train ,$(USER_TRAIN)) \
	$(addprefix --dev ,$(USER_DEV)) $(addprefix --test ,$(USER_TEST)))
USER_SOURCES := $(foreach f,$(USER_FROM) $(USER_TRAIN) $(USER_DEV) $(USER_TEST),\
	$(if $(wildcard $(f)/.),$(shell find $(f) -name '*.parquet' -type f | sort),$(f)))
USER_SETTINGS := $(TASKS_DIR)/.$(USER_TASK).prepare
$(call task_files,$(USER_TASK)) &: $(BIN)/prepare $(USER_SOURCES) $(USER_SETTINGS)
	$(BIN)/prepare --task $(USER_TASK) $(USER_INPUT) $(USER_FLAGS) --out $(TASKS_DIR)
$(eval $(call settings_stamp,$(USER_SETTINGS),$$(USER_INPUT) $$(USER_FLAGS)))
endif

# tokenize: one split per run.
$(TOK_DIR)/%.parquet: $(TASKS_DIR)/%.parquet $(BIN)/tokenize $(TOKENIZER) $(TOK_SETTINGS)
	$(SUBMIT) $(BIN)/tokenize --tokenizer $(TOKENIZER) --max-len $(MAX_LEN) --in $< --out $@

# Rewritten only when a setting changes, so its mtime marks the last change.
$(eval $(call settings_stamp,$(TOK_SETTINGS),max_len=$$(MAX_LEN)))

glue-tasks: $(if $(GLUE_DIR),$(foreach t,$(GLUE_TASKS),$(call task_files,$(t))),glue-dir-missing)
	@$(BIN)/tokenize --summary $(foreach t,$(GLUE_TASKS),$(call task_files,$(t)))

glue-tok: $(if $(GLUE_DIR),$(GLUE_TOK_FILES),glue-dir-missing)
	@$(BIN)/tokenize --summary $(GLUE_TOK_FILES)

.PHONY: glue-dir-missing
glue-dir-missing:
	@echo "set GLUE_DIR to a folder with <task>/<split>-00000-of-00001.parquet or glue_data/<TASK>/<split>.tsv" >&2; exit 2
