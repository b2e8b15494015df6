# report: runs, probe tables, CKA tables and cross matrices -> reports/<name>/REPORT.md, *.svg, *.csv.
# Included by the main Makefile after finetune.mk, probe.mk and cross.mk, whose file lists it reads.
#
#   make report      reports/$(REPORT_NAME)/REPORT.md from whatever REPORT_INPUTS lists (made first)

REPORT_FILE  := $(REPORTS_DIR)/$(REPORT_NAME)/REPORT.md

$(REPORT_FILE): $(BIN)/report $(REPORT_INPUTS)
	$(BIN)/report --runs $(RUNS_DIR) --probes $(PROBE_DIR) --out $(@D) --title "$(REPORT_TITLE)" --no-print-claims

.PHONY: report
report: $(REPORT_FILE)
