# The main job (`make`), the paper's full grid (`make paper`), the same on GLUE (`make glue`) and on
# your own data (`make mine`).
# Included last by the main Makefile: it only gathers the targets of the other pipeline files.
#
#   make                 MiniLM + the built-in real-text suite, sized for a 2-core CPU (see README)
#   make paper           every built-in task, 3 seeds, full training data and 3 epochs
#   make glue GLUE_DIR=/path [MODEL_DIR=/path/to/bert-base-uncased MODEL=bert-base-uncased]
#   make mine USER_TASK=my-reviews USER_FROM=reviews.csv USER_FLAGS="--text-a review --label sentiment"

.PHONY: main paper glue mine claims user-task-missing
main: $(REPORT_FILE)
	@$(MAKE) --no-print-directory claims

# The claims section of the report (cheap: no stage runs).
claims: $(BIN)/report
	@echo "== $(REPORT_FILE)"; $(BIN)/report --claims-of $(REPORT_FILE)

# Each of these is the main job with other knobs and its own output folders (so results never mix).
paper:
	$(MAKE) main MAIN_TASKS="$(PAPER_TASKS)" SEEDS="1 2 3" FT_EPOCHS=3 FT_BATCH=32 FT_LR=5e-5 FT_MAX_TRAIN= \
	  LAYERS="$(shell seq 0 $(NUM_LAYERS))" \
	  CROSS_FROM=movie CROSS_TASKS="amazon tweets nyt" PROBE_TASKS="movie tweets" \
	  RUNS_DIR=paper/runs HIDDEN_DIR=paper/hidden PROBE_DIR=paper/probes REPORT_NAME=paper \
	  REPORT_TITLE="fewdims: the paper's grid ($(MODEL), all built-in tasks, 3 seeds)"

glue: $(if $(GLUE_DIR),,glue-dir-missing)
	$(MAKE) main MAIN_TASKS="$(GLUE_MAIN)" CROSS_FROM=sst2 CROSS_TASKS="$(GLUE_CROSS)" PROBE_TASKS=sst2 \
	  RUNS_DIR=$(GLUE_OUT)/runs HIDDEN_DIR=$(GLUE_OUT)/hidden PROBE_DIR=$(GLUE_OUT)/probes REPORT_NAME=glue \
	  REPORT_TITLE="fewdims on GLUE ($(MODEL))"

# Your own task (docs/data.md, "Your own data"): prepared from USER_FROM (or USER_TRAIN...) with
# USER_FLAGS, swept, cross-fine-tuned from it through CROSS_TASKS, probed, and reported.
mine: $(if $(and $(USER_TASK),$(or $(USER_FROM),$(USER_TRAIN))),,user-task-missing)
	$(MAKE) main MAIN_TASKS=$(USER_TASK) CROSS_FROM=$(USER_TASK) PROBE_TASKS=$(USER_TASK) \
	  RUNS_DIR=$(USER_OUT)/runs HIDDEN_DIR=$(USER_OUT)/hidden PROBE_DIR=$(USER_OUT)/probes \
	  REPORT_NAME=mine-$(USER_TASK) REPORT_TITLE="fewdims on your task $(USER_TASK) ($(MODEL))"

user-task-missing:
	@echo 'make mine needs USER_TASK=NAME, USER_FROM=FILE|DIR (or USER_TRAIN=F [USER_DEV=F] [USER_TEST=F]) and USER_FLAGS="--text-a COL --label COL ..." (docs/data.md)' >&2; exit 2
